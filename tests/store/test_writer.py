"""The store writer: durable appends, gap-free seq, group commit, outbox rows, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.events.model import EventDraft, MediaRef
from edge.store import EventReader, StoreError, StoreWriter
from edge.store.writer import StoreFullError


def draft(i: int = 0, **overrides) -> EventDraft:
    fields = dict(type="test.event", priority=3, occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
                  clock_synced=True, device_id="dev-1", data={"i": i})
    fields.update(overrides)
    return EventDraft(**fields)


async def test_append_returns_committed_event_with_next_seq(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db") as writer:
        first = await writer.append(draft(1))
        second = await writer.append(draft(2, priority=0, type="sos.pressed"))
    assert (first.seq, second.seq) == (1, 2)
    with EventReader(tmp_path / "e.db") as reader:
        stored = reader.after(0)
    assert [e.to_wire() for e in stored] == [first.to_wire(), second.to_wire()]
    assert stored[1].type == "sos.pressed" and stored[1].priority == 0


async def test_every_event_has_its_outbox_row_in_the_same_transaction(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db") as writer:
        await asyncio.gather(*(writer.append(draft(i, priority=i % 4)) for i in range(300)))
    conn = sqlite3.connect(tmp_path / "e.db")
    rows = conn.execute(
        "SELECT e.seq, e.priority, o.priority, o.state FROM events e LEFT JOIN outbox o USING (seq)"
    ).fetchall()
    assert len(rows) == 300
    assert all(o_pri == e_pri and state == "pending" for _, e_pri, o_pri, state in rows)


async def test_concurrent_producers_share_transactions(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db", max_batch=100) as writer:
        events = await asyncio.gather(*(writer.append(draft(i)) for i in range(1000)))
        assert writer.committed == 1000
        assert writer.batches < 1000 / 5, "group commit should put many events in one transaction"
    assert sorted(e.seq for e in events) == list(range(1, 1001))


async def test_seq_continues_after_reopen(tmp_path: Path) -> None:
    for expected in (1, 2, 3):
        async with StoreWriter(tmp_path / "e.db") as writer:
            assert (await writer.append(draft())).seq == expected


async def test_rejected_event_does_not_sink_its_batch_or_leave_a_gap(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db") as writer:
        first = await writer.append(draft(0))
        duplicate = draft(1, event_id=first.event_id)
        results = await asyncio.gather(
            writer.append(draft(2)), writer.append(duplicate), writer.append(draft(3)), return_exceptions=True
        )
    assert isinstance(results[1], StoreError)
    assert [r.seq for r in results if not isinstance(r, Exception)] == [2, 3]
    with EventReader(tmp_path / "e.db") as reader:
        assert reader.seqs() == [1, 2, 3]


async def test_full_disk_refuses_clearly_and_recovers(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "e.db")
    writer.open()
    try:
        kept = await writer.append(draft(0))
        writer._conn.execute("PRAGMA max_page_count = 12")  # the writer thread is idle here
        with pytest.raises(StoreFullError, match="full"):
            for i in range(1000):
                await writer.append(draft(i, data={"pad": "x" * 4000}))
        last_ok = writer.last_seq
        writer._conn.execute("PRAGMA max_page_count = 1073741823")
        after = await writer.append(draft(99))
    finally:
        await writer.close()
    assert after.seq == last_ok + 1
    with EventReader(tmp_path / "e.db") as reader:
        assert reader.seqs() == list(range(1, after.seq + 1))
        assert reader.after(0, limit=1)[0].event_id == kept.event_id
        assert reader.integrity() == "ok"


async def test_media_refs_are_indexed_with_their_event(tmp_path: Path) -> None:
    ref = MediaRef("ab" * 32, "snapshot", "image/jpeg", 1234)
    async with StoreWriter(tmp_path / "e.db") as writer:
        event = await writer.append(draft(media=(ref,)))
    conn = sqlite3.connect(tmp_path / "e.db")
    assert conn.execute("SELECT kind, bytes FROM media WHERE sha256 = ?", (ref.sha256,)).fetchone() == ("snapshot", 1234)
    with EventReader(tmp_path / "e.db") as reader:
        assert reader.after(0)[0].media == (ref,)
    assert event.to_wire()["media"] == [ref.to_wire()]


async def test_append_on_closed_writer_is_a_clear_error(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "e.db")
    with pytest.raises(StoreError, match="not open"):
        await writer.append(draft())


async def test_store_settings_are_wal_and_synchronous_full(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db") as writer:
        await writer.append(draft())
        assert writer._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert writer._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


async def test_jobs_run_in_order_with_events_in_their_own_transaction(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "e.db") as writer:
        first = writer.append(draft(1))
        count = writer.run(lambda conn: conn.execute("SELECT count(*) FROM events").fetchone()[0])
        results = await asyncio.gather(first, count)
        assert results[1] == 1  # the event queued before the job was committed first

        def failing(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM outbox")
            raise ValueError("changed my mind")

        with pytest.raises(ValueError, match="changed my mind"):
            await writer.run(failing)
        assert await writer.run(lambda conn: conn.execute("SELECT count(*) FROM outbox").fetchone()[0]) == 1
        with pytest.raises(StoreError, match="no such table"):
            await writer.run(lambda conn: conn.execute("SELECT * FROM nope"))
