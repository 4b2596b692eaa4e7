"""Scheduled notices: cron in the site's zone, one-offs, quiet hours, district broadcasts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from edge.broadcast.config import BroadcastConfig, ScheduleConfig
from edge.broadcast.model import Announcement
from edge.broadcast.schedule import NoticeScheduler, notices_from_config, notices_from_district
from edge.events.types.broadcast import BroadcastSkipped
from tests.fakes import FakeClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int, day: int = 30) -> datetime:  # 2026-11-30 is a Monday
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def harness():
    announced: list[Announcement] = []
    recorded: list[tuple[str, dict[str, Any]]] = []
    config = BroadcastConfig(schedules=[
        ScheduleConfig(id="water", cron="30 8 * * 1-5", text="今天上午停水", targets=["building-3"]),
        ScheduleConfig(id="night", cron="30 23 * * *", text="夜间通知"),
    ])

    async def announce(a: Announcement) -> None:
        announced.append(a)

    async def record(event: BroadcastSkipped) -> None:
        recorded.append((event.TYPE, event.payload()))

    async def load():  # type: ignore[no-untyped-def]
        return notices_from_config(config)

    scheduler = NoticeScheduler(config, "Asia/Shanghai", FakeClock(), announce, load, record)
    return scheduler, announced, recorded


async def test_a_weekday_notice_fires_once_at_its_minute(harness) -> None:  # type: ignore[no-untyped-def]
    scheduler, announced, _ = harness
    assert await scheduler.fire_due(at(8, 28), at(8, 29)) == []
    assert await scheduler.fire_due(at(8, 29), at(8, 30)) == ["water"]
    assert await scheduler.fire_due(at(8, 30), at(8, 31)) == []
    (notice,) = announced
    assert notice.text == "今天上午停水" and notice.targets == ("building-3",) and notice.urgency.name == "SCHEDULED"
    assert await scheduler.fire_due(at(8, 29, day=28), at(8, 31, day=28)) == []  # a Saturday


async def test_quiet_hours_hold_scheduled_notices_back(harness) -> None:  # type: ignore[no-untyped-def]
    scheduler, announced, recorded = harness
    assert await scheduler.fire_due(at(23, 29), at(23, 31)) == []
    assert announced == [] and recorded == [("broadcast.skipped", {"notice": "night", "reason": "quiet hours"})]


def test_district_broadcasts_are_read_from_the_downlink_table() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE broadcasts (id TEXT PRIMARY KEY, data TEXT, updated_at TEXT, deleted INTEGER)")
    conn.execute("INSERT INTO broadcasts VALUES ('b1', ?, '', 0)",
                 ('{"text": "消防演练", "at": "2026-11-30T02:00:00Z", "targets": ["building-3"]}',))
    conn.execute("INSERT INTO broadcasts VALUES ('b2', '{\"text\": \"gone\"}', '', 1)")
    conn.execute("INSERT INTO broadcasts VALUES ('b3', 'not json', '', 0)")
    (notice,) = notices_from_district(conn)
    assert notice.id == "district:b1" and notice.at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert notice.due_between(at(9, 59), at(10, 0)) and not notice.due_between(at(10, 0), at(10, 1))


def test_bad_cron_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="not a five-field cron"):
        ScheduleConfig(id="x", cron="every day", text="t")


async def test_a_bad_district_notice_is_skipped_not_fatal() -> None:
    from edge.broadcast.schedule import Notice

    recorded: list = []

    async def announce(a: Announcement) -> None:
        raise ValueError("no speaker or group 'building-99'")

    async def record(event: BroadcastSkipped) -> None:
        recorded.append((event.TYPE, event.payload()))

    async def load():  # type: ignore[no-untyped-def]
        return [Notice("district:x", "hi", ("building-99",), at=at(10, 0)),
                Notice("district:y", "bad cron", cron="not a cron")]

    scheduler = NoticeScheduler(BroadcastConfig(quiet_hours=None), "Asia/Shanghai", FakeClock(), announce, load, record)
    assert await scheduler.fire_due(at(9, 59), at(10, 1)) == []
    assert [d["notice"] for _, d in recorded] == ["district:x", "district:y"]
    assert "building-99" in recorded[0][1]["reason"]
