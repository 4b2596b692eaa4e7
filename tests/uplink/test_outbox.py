"""The outbox: alarms first, one priority per batch, settling, dead letters, TTL and the byte cap."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.events.model import EventDraft, MediaRef
from edge.store import StoreWriter
from edge.uplink.config import UplinkConfig
from edge.uplink.outbox import Outbox
from edge.uplink.transport import SendResult

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def config(**overrides) -> UplinkConfig:
    raw = {"token": {"env": "HOME"}, "https": {"base_url": "http://127.0.0.1:1/"}, **overrides}
    return UplinkConfig.model_validate(raw)


def draft(priority: int, type_: str = "x.y", at: datetime = NOW, size: int = 10, **kw) -> EventDraft:
    return EventDraft(type_, priority, at, True, "dev", {"pad": "x" * size}, **kw)


@pytest.fixture
async def writer(tmp_path: Path):
    async with StoreWriter(tmp_path / "e.db") as writer:
        yield writer


async def test_batches_take_the_most_urgent_priority_first_oldest_first(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config(batch_max_events=3))
    for priority in (3, 3, 2, 0, 3, 0, 1):
        await writer.append(draft(priority))
    order = []
    while (batch := await outbox.next_batch()) is not None:
        assert len({e.priority for e in batch.events}) == 1, "one priority per batch"
        order.append((batch.priority, [e.seq for e in batch.events]))
        await outbox.settle(batch, SendResult(frozenset(e.event_id for e in batch.events)))
    assert order == [(0, [4, 6]), (1, [7]), (2, [3]), (3, [1, 2, 5])]


async def test_a_new_alarm_jumps_ahead_of_a_backlog(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config(batch_max_events=2))
    for _ in range(5):
        await writer.append(draft(3))
    first = await outbox.next_batch()
    alarm = await writer.append(draft(0, "sos.pressed"))
    await outbox.settle(first, SendResult(frozenset(e.event_id for e in first.events)))
    assert [e.seq for e in (await outbox.next_batch()).events] == [alarm.seq]


async def test_batch_bytes_are_capped(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config(batch_max_bytes=4096))
    for _ in range(10):
        await writer.append(draft(3, size=1000))
    batch = await outbox.next_batch()
    assert 1 <= len(batch.events) <= 4


async def test_settling_deletes_accepted_dead_letters_rejected_and_keeps_the_rest(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config())
    events = [await writer.append(draft(1)) for _ in range(3)]
    batch = await outbox.next_batch()
    await outbox.settle(batch, SendResult(frozenset({events[0].event_id}), {events[1].event_id: "bad shape"}))
    rows = await writer.run(lambda c: c.execute("SELECT seq, state, reason, attempts FROM outbox ORDER BY seq").fetchall())
    assert rows == [(2, "dead", "bad shape", 1), (3, "pending", None, 1)]
    assert [e.seq for e in (await outbox.next_batch()).events] == [3], "a dead letter never blocks the queue"


async def test_media_become_ready_when_their_event_is_accepted(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config())
    ref = MediaRef("ab" * 32, "snapshot", "image/jpeg", 10)
    event = await writer.append(draft(1, media=(ref,)))
    assert await outbox.ready_media() == []
    await outbox.settle(await outbox.next_batch(), SendResult(frozenset({event.event_id})))
    assert await outbox.ready_media() == [ref]
    await outbox.media_sent(ref.sha256)
    assert await outbox.ready_media() == []


async def test_byte_cap_drops_routine_then_status_oldest_first_never_alarms(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config(outbox_max_mb=0.02))  # ~20 KB; 32 events of ~1 KB are queued
    for priority in (3, 2, 0, 1) * 8:
        await writer.append(draft(priority, type_=f"p{priority}.event", size=900))
    drops = await outbox.enforce_limits(NOW, clock_trusted=True)
    summary = await outbox.pending()
    assert summary["bytes"] <= 0.02 * 1024 * 1024
    assert summary["pending"] == {"0": 8, "1": 8, "2": 4, "3": 0}
    routine = next(d for d in drops if d.types == ["p3.event"])
    assert (routine.count, routine.from_seq, routine.to_seq, routine.reason) == (8, 1, 29, "cap")
    status = next(d for d in drops if d.types == ["p2.event"])
    assert (status.count, status.from_seq, status.to_seq) == (4, 2, 14)
    await asyncio.gather(*(outbox.mark_reported(d) for d in drops))
    assert await outbox.enforce_limits(NOW, clock_trusted=True) == []


async def test_over_the_cap_with_only_alarms_left_keeps_every_alarm(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config(outbox_max_mb=0.001))
    for priority in (0, 1) * 5:
        await writer.append(draft(priority, size=900))
    assert await outbox.enforce_limits(NOW, clock_trusted=True) == []
    assert (await outbox.pending())["pending"] == {"0": 5, "1": 5, "2": 0, "3": 0}


async def test_ttl_drops_stale_events_only_when_the_clock_is_trusted(writer: StoreWriter) -> None:
    outbox = Outbox(writer, config())
    old = NOW - timedelta(days=20)
    await writer.append(draft(3, "door.opened", at=old))
    await writer.append(draft(0, "sos.pressed", at=old))
    await writer.append(draft(3, "door.opened"))
    assert await outbox.enforce_limits(NOW, clock_trusted=False) == []
    (drop,) = await outbox.enforce_limits(NOW, clock_trusted=True)
    assert (drop.from_seq, drop.to_seq, drop.count, drop.types, drop.reason) == (1, 1, 1, ["door.opened"], "ttl")
    assert (await outbox.pending())["pending"] == {"0": 1, "1": 0, "2": 0, "3": 1}
