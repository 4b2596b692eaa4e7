"""The outbox as the sender sees it: the next batch, settling a batch, and the limits.

Every read and write goes through the store's single writer (``writer.run``),
so bookkeeping never races the events being written.

* **Batches**: the most urgent priority with anything pending, oldest first,
  up to ``batch_max_events`` and ``batch_max_bytes``; one priority per batch.
* **Settling**: accepted events leave the outbox (their media become ready to
  upload); rejected ones are dead-lettered with the reason and never block the
  queue; the rest stay, with one more attempt counted.
* **Limits**: past their priority's TTL (only while the clock is trusted), or
  over the byte cap (routine first, then status, oldest first; never alarms),
  pending events are dropped and each drop is recorded in ``outbox_drops`` so
  the sender can announce it upward as ``events.dropped``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drivers.base import Priority
from edge.events.model import Event, MediaRef, utc_rfc3339
from edge.store.writer import StoreWriter
from edge.uplink.config import UplinkConfig
from edge.uplink.transport import SendResult

_NEXT_PRIORITY = "SELECT min(priority) FROM outbox WHERE state = 'pending'"
_BATCH = (
    "SELECT e.*, o.bytes AS outbox_bytes FROM outbox o JOIN events e USING (seq)"
    " WHERE o.state = 'pending' AND o.priority = ? ORDER BY o.seq LIMIT ?"
)
_DROPPABLE = (Priority.ROUTINE, Priority.DEVICE_STATUS)  # what the byte cap may drop, in this order; never alarms


@dataclass(frozen=True, slots=True)
class Batch:
    priority: int
    events: list[Event]


@dataclass(frozen=True, slots=True)
class Drop:
    id: int
    from_seq: int
    to_seq: int
    count: int
    types: list[str]
    reason: str


class Outbox:
    def __init__(self, writer: StoreWriter, config: UplinkConfig) -> None:
        self._writer = writer
        self._config = config

    async def next_batch(self, max_events: int | None = None) -> Batch | None:
        limit = min(max_events or self._config.batch_max_events, self._config.batch_max_events)
        return await self._writer.run(lambda conn: self._next_batch(conn, limit))

    async def settle(self, batch: Batch, result: SendResult) -> None:
        await self._writer.run(lambda conn: self._settle(conn, batch, result))

    async def enforce_limits(self, now: datetime, clock_trusted: bool) -> list[Drop]:
        """Drop what is past its TTL or over the cap; return the drops not yet announced."""
        return await self._writer.run(lambda conn: self._enforce(conn, now, clock_trusted))

    async def mark_reported(self, drop: Drop) -> None:
        await self._writer.run(lambda conn: conn.execute("UPDATE outbox_drops SET reported = 1 WHERE id = ?", (drop.id,)))

    async def ready_media(self, limit: int = 20) -> list[MediaRef]:
        """Media files whose events the district has accepted, least tried first."""
        rows = await self._writer.run(lambda conn: conn.execute(
            "SELECT m.sha256, m.kind, m.content_type, m.bytes FROM media_outbox q JOIN media m USING (sha256)"
            " WHERE q.ready = 1 ORDER BY q.attempts, m.created_at LIMIT ?", (limit,)
        ).fetchall())
        return [MediaRef(*row) for row in rows]

    async def media_sent(self, sha256: str) -> None:
        await self._writer.run(lambda conn: conn.execute("DELETE FROM media_outbox WHERE sha256 = ?", (sha256,)))

    async def media_failed(self, sha256: str) -> None:
        await self._writer.run(lambda conn: conn.execute(
            "UPDATE media_outbox SET attempts = attempts + 1 WHERE sha256 = ?", (sha256,)))

    async def pending(self) -> dict[str, Any]:
        return await self._writer.run(_pending_summary)

    # --- on the writer thread ------------------------------------------------------

    def _next_batch(self, conn: sqlite3.Connection, limit: int) -> Batch | None:
        priority = conn.execute(_NEXT_PRIORITY).fetchone()[0]
        if priority is None:
            return None
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(_BATCH, (priority, limit)).fetchall()
        finally:
            conn.row_factory = None
        events, size = [], 0
        for row in rows:
            size += row["outbox_bytes"]
            if events and size > self._config.batch_max_bytes:
                break
            events.append(Event.from_row(dict(row)))
        return Batch(priority, events)

    def _settle(self, conn: sqlite3.Connection, batch: Batch, result: SendResult) -> None:
        accepted = [e for e in batch.events if e.event_id in result.accepted]
        rejected = [e for e in batch.events if e.event_id in result.rejected and e.event_id not in result.accepted]
        settled = {e.seq for e in accepted} | {e.seq for e in rejected}
        others = [e.seq for e in batch.events if e.seq not in settled]
        conn.executemany("DELETE FROM outbox WHERE seq = ?", [(e.seq,) for e in accepted])
        conn.executemany(
            "UPDATE outbox SET state = 'dead', reason = ?, attempts = attempts + 1 WHERE seq = ?",
            [(result.rejected[e.event_id][:500], e.seq) for e in rejected],
        )
        conn.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", [(seq,) for seq in others])
        media = {m.sha256 for e in accepted for m in e.media}
        conn.executemany("UPDATE media_outbox SET ready = 1 WHERE sha256 = ?", [(sha,) for sha in media])

    def _enforce(self, conn: sqlite3.Connection, now: datetime, clock_trusted: bool) -> list[Drop]:
        stamp = utc_rfc3339(now)
        if clock_trusted:
            for priority in Priority:
                hours = self._config.ttl.hours(priority)
                if hours is not None:
                    cutoff = utc_rfc3339(now - timedelta(hours=hours))
                    rows = conn.execute(
                        "SELECT o.seq, e.type FROM outbox o JOIN events e USING (seq)"
                        " WHERE o.state = 'pending' AND o.priority = ? AND e.occurred_at < ? ORDER BY o.seq",
                        (int(priority), cutoff),
                    ).fetchall()
                    _drop(conn, rows, "ttl", stamp)
        self._enforce_cap(conn, stamp)
        rows = conn.execute(
            "SELECT id, from_seq, to_seq, count, types, reason FROM outbox_drops WHERE reported = 0 ORDER BY id"
        ).fetchall()
        return [Drop(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def _enforce_cap(self, conn: sqlite3.Connection, stamp: str) -> None:
        cap = int(self._config.outbox_max_mb * 1024 * 1024)
        total = conn.execute("SELECT coalesce(sum(bytes), 0) FROM outbox WHERE state = 'pending'").fetchone()[0]
        for priority in _DROPPABLE:
            if total <= cap:
                return
            victims, freed = [], 0
            for seq, type_, size in conn.execute(
                "SELECT o.seq, e.type, o.bytes FROM outbox o JOIN events e USING (seq)"
                " WHERE o.state = 'pending' AND o.priority = ? ORDER BY o.seq",
                (int(priority),),
            ):
                if total - freed <= cap:
                    break
                victims.append((seq, type_))
                freed += size
            _drop(conn, victims, "cap", stamp)
            total -= freed


def _drop(conn: sqlite3.Connection, rows: list[tuple[int, str]], reason: str, stamp: str) -> None:
    if not rows:
        return
    conn.executemany("DELETE FROM outbox WHERE seq = ?", [(seq,) for seq, _ in rows])
    seqs = [seq for seq, _ in rows]
    types = sorted({type_ for _, type_ in rows})
    conn.execute(
        "INSERT INTO outbox_drops (from_seq, to_seq, count, types, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
        (min(seqs), max(seqs), len(seqs), json.dumps(types), reason, stamp),
    )


def _pending_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    by_priority = dict(conn.execute(
        "SELECT priority, count(*) FROM outbox WHERE state = 'pending' GROUP BY priority"
    ).fetchall())
    dead = conn.execute("SELECT count(*) FROM outbox WHERE state = 'dead'").fetchone()[0]
    size = conn.execute("SELECT coalesce(sum(bytes), 0) FROM outbox WHERE state = 'pending'").fetchone()[0]
    media = conn.execute("SELECT count(*) FROM media_outbox").fetchone()[0]
    return {"pending": {str(int(p)): by_priority.get(p, 0) for p in Priority}, "dead": dead, "bytes": size,
            "media_pending": media}
