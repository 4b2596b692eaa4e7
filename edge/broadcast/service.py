"""Broadcasts as the daemon runs them: the manager, the scheduler, and alarms announced at once.

Alarm events named in ``[broadcast].alarms`` (``sos.pressed`` by default) are
turned into life-safety announcements with the device's location and name
(from ``device_configs``: every device's, whatever raised the alarm). The
phrases of every SOS input are rendered at start, so an alarm spends no time
on speech synthesis when it comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import structlog

from drivers.base import Clock, DriverConfig
from drivers.capabilities import SosInput, Speaker
from edge.broadcast.config import BroadcastConfig
from edge.broadcast.manager import BroadcastManager
from edge.broadcast.model import Announcement, Urgency
from edge.broadcast.schedule import NoticeScheduler, notices_from_config, notices_from_district
from edge.events.bus import EventBus
from edge.events.model import Event
from edge.events.record import Record
from edge.store.writer import StoreWriter

log = structlog.get_logger(__name__)

Render = Callable[[str, str, int], Awaitable[Path]]


class Broadcasts:
    def __init__(
        self,
        config: BroadcastConfig,
        *,
        timezone: str,
        speakers: dict[str, Speaker],
        sos_inputs: dict[str, SosInput],
        device_configs: Mapping[str, DriverConfig],
        render: Render,
        record: Record,
        bus: EventBus,
        writer: StoreWriter,
        clock: Clock,
    ) -> None:
        self._config = config
        self.sos_inputs = sos_inputs
        self._device_configs = device_configs
        self._render = render
        self.manager = BroadcastManager(config, speakers, render, record, clock)
        self._writer = writer
        self.scheduler = NoticeScheduler(config, timezone, clock, self.manager.announce, self._notices, record)
        self._alarms: asyncio.Queue[Event] = asyncio.Queue(maxsize=256)
        types = {rule.event_type for rule in config.alarms}
        self._unsubscribe = bus.subscribe(self._on_alarm, types=types) if types else (lambda: None)

    async def run(self) -> None:
        if not self.manager.speakers:
            log.info("broadcast.no_speakers")
            return
        async with asyncio.TaskGroup() as group:
            group.create_task(self.manager.run(), name="broadcast:manager")
            group.create_task(self.scheduler.run(), name="broadcast:schedule")
            group.create_task(self._announce_alarms(), name="broadcast:alarms")
            group.create_task(self._warm_alarm_phrases(), name="broadcast:warm")

    def close(self) -> None:
        self._unsubscribe()

    def alarm_text(self, event: Event) -> tuple[str, list[str], int] | None:
        for rule in self._config.alarms:
            if rule.event_type == event.type:
                device = self._device_configs.get(event.device_id or "")
                location = (device.location or device.name) if device else ""
                name = device.name if device else (event.device_id or "")
                fields = _Fields({k: v for k, v in event.data.items() if isinstance(v, str | int | float)})
                fields |= {"location": location or name, "name": name}
                return rule.text.format_map(fields), rule.targets, rule.repeat
        return None

    def _on_alarm(self, event: Event) -> None:
        try:
            self._alarms.put_nowait(event)
        except asyncio.QueueFull:
            log.error("broadcast.alarm_queue_full", event_id=event.event_id)

    async def _announce_alarms(self) -> None:
        while True:
            event = await self._alarms.get()
            found = self.alarm_text(event)
            if found is None:
                continue
            text, targets, repeat = found
            try:
                await self.manager.announce(Announcement(
                    text=text, urgency=Urgency.LIFE_SAFETY, targets=tuple(targets), repeat=repeat,
                    voice=self._config.voice, source=f"alarm:{event.event_id}",
                ))
            except ValueError as exc:
                log.error("broadcast.alarm_not_announced", error=str(exc), event_id=event.event_id)

    async def _warm_alarm_phrases(self) -> None:
        """Render every SOS input's phrase now, so an alarm costs no synthesis time."""
        for device_id in self.sos_inputs:
            for rule in self._config.alarms:
                probe = Event(0, "", rule.event_type, 0, datetime.now(UTC), False, device_id, {})
                found = self.alarm_text(probe)
                if found is not None:
                    try:
                        await self._render(found[0], self._config.voice, self._config.rate_wpm)
                    except Exception as exc:  # a phrase that cannot be rendered now is rendered when needed
                        log.warning("broadcast.warm_failed", device_id=device_id, error=str(exc))

    async def _notices(self) -> list:
        from_district = await self._writer.run(notices_from_district)
        return notices_from_config(self._config) + from_district



class _Fields(dict):
    """An alarm's text fields: the device's location and name, and the event's own data (e.g. ``{floor}``);
    a field the event does not carry reads as empty rather than failing the announcement."""

    def __missing__(self, key: str) -> str:
        return ""
