"""``DownlinkCache``: the box's copy of the district's data, written a whole page at a time.

Each verified page is one writer job: its changes and its cursor
(``sync_state`` keys ``downlink.cursor`` and ``downlink.serial``, the
district serial of the page, which only grows) commit together or not at all, so a
crash never leaves half a page or a cursor past what was applied. A snapshot
rebuild empties the synced tables and refills them in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from edge.downlink.page import Page
from edge.downlink.tables import apply_change, clear_synced
from edge.events.model import utc_rfc3339
from edge.store.writer import StoreWriter

CURSOR_KEY = "downlink.cursor"
SERIAL_KEY = "downlink.serial"


class DownlinkCache:
    def __init__(self, writer: StoreWriter, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._writer = writer
        self._now = now

    async def cursor(self) -> str | None:
        """Where the last applied page left off; None before the first sync."""
        return await self._writer.run(read_cursor)

    async def serial(self) -> int:
        """The serial of the last applied page or snapshot; 0 before the first."""
        return await self._writer.run(read_serial)

    async def apply(self, page: Page) -> None:
        """Apply a changes page and move the cursor, in one transaction."""
        now = utc_rfc3339(self._now())
        await self._writer.run(lambda conn: _write(conn, page, now, rebuild=False))

    async def rebuild(self, snapshot: Page) -> None:
        """Replace everything synced by ``snapshot`` and take its cursor, in one transaction."""
        now = utc_rfc3339(self._now())
        await self._writer.run(lambda conn: _write(conn, snapshot, now, rebuild=True))


def read_cursor(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return row[0] if row else None


def read_serial(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (SERIAL_KEY,)).fetchone()
    return int(row[0]) if row else 0


def _write(conn: sqlite3.Connection, page: Page, now: str, *, rebuild: bool) -> None:
    if rebuild:
        clear_synced(conn)
    for change in page.changes:
        apply_change(conn, change, now)
    state = [(CURSOR_KEY, page.cursor)]
    if page.envelope is not None:
        state.append((SERIAL_KEY, str(page.envelope.serial)))
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        state,
    )
