"""Scheduled notices: recurring ones (cron, in the site's time zone) and one-off ones, from the
config and from the district (the ``broadcasts`` table the downlink keeps).

Each minute the scheduler looks at what is due since it last looked, so a
notice is neither missed at a minute's edge nor played twice. Quiet hours hold
scheduled notices back (they are skipped, and recorded as such); alarms and
live announcements never wait for them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from croniter import croniter

from drivers.base import Clock
from edge.broadcast.config import BroadcastConfig
from edge.broadcast.model import Announcement, Urgency
from edge.events.record import Record
from edge.events.types.broadcast import BroadcastSkipped

log = structlog.get_logger(__name__)

_TICK_S = 20.0


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    text: str
    targets: tuple[str, ...] = ()
    repeat: int = 1
    voice: str = "cmn"
    cron: str | None = None
    at: datetime | None = None  # a one-off

    def due_between(self, after: datetime, until: datetime) -> bool:
        if self.at is not None:
            return after < self.at <= until
        if self.cron is None:
            return False
        return croniter(self.cron, after).get_next(datetime) <= until


def notices_from_config(config: BroadcastConfig) -> list[Notice]:
    return [Notice(s.id, s.text, tuple(s.targets), s.repeat, s.voice, cron=s.cron) for s in config.schedules]


def notices_from_district(conn: sqlite3.Connection) -> list[Notice]:
    """The district's broadcasts: {"text", "targets"?, "repeat"?, "voice"?, "cron"? | "at"?}."""
    found = []
    for id_, data in conn.execute("SELECT id, data FROM broadcasts WHERE deleted = 0"):
        try:
            item: dict[str, Any] = json.loads(data)
            at = datetime.fromisoformat(item["at"].replace("Z", "+00:00")) if item.get("at") else None
            found.append(Notice(f"district:{id_}", str(item["text"]), tuple(item.get("targets") or ()),
                                int(item.get("repeat", 1)), str(item.get("voice", "cmn")), item.get("cron"), at))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("broadcast.bad_district_notice", id=id_, error=str(exc))
    return found


class NoticeScheduler:
    def __init__(
        self,
        config: BroadcastConfig,
        timezone: str,
        clock: Clock,
        announce: Callable[[Announcement], Awaitable[Any]],
        load: Callable[[], Awaitable[list[Notice]]],
        record: Record,
    ) -> None:
        self._config = config
        self._zone = ZoneInfo(timezone)
        self._clock = clock
        self._announce = announce
        self._load = load
        self._record = record

    async def run(self) -> None:
        last = self._clock.now().astimezone(self._zone)
        while True:
            await self._clock.sleep(_TICK_S)
            now = self._clock.now().astimezone(self._zone)
            if now < last or now - last > timedelta(hours=1):  # the clock jumped: start afresh
                last = now
                continue
            await self.fire_due(last, now)
            last = now

    async def fire_due(self, after: datetime, until: datetime) -> list[str]:
        fired = []
        for notice in await self._load():
            try:
                if not notice.due_between(after, until):
                    continue
                if self._quiet(until):
                    await self._record(BroadcastSkipped(notice=notice.id, reason="quiet hours"))
                    continue
                await self._announce(Announcement(
                    text=notice.text, urgency=Urgency.SCHEDULED, targets=notice.targets, repeat=notice.repeat,
                    voice=notice.voice, source=f"schedule:{notice.id}",
                ))
            except (ValueError, KeyError, TypeError) as exc:  # a bad notice (from the district) skips only itself
                log.warning("broadcast.bad_notice", notice=notice.id, error=str(exc))
                await self._record(BroadcastSkipped(notice=notice.id, reason=str(exc)[:200]))
                continue
            fired.append(notice.id)
        return fired

    def _quiet(self, moment: datetime) -> bool:
        quiet = self._config.quiet_hours
        return quiet is not None and quiet.contains(moment.astimezone(self._zone).time())
