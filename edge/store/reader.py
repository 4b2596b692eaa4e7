"""Reading events back: for ``edge events tail``, the sync API and tests.

Readers use their own connection (WAL lets them run beside the writer) through
sqlite-utils, read-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from edge.events.model import Event
from edge.store.database import open_database


class EventReader:
    def __init__(self, path: Path, *, readonly: bool = True) -> None:
        self._conn = open_database(path, readonly=readonly)
        self._db = sqlite_utils.Database(self._conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EventReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def last_seq(self) -> int:
        row = self._conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def after(self, seq: int, *, limit: int = 500, types: list[str] | None = None) -> list[Event]:
        """Events with ``seq`` greater than ``seq``, oldest first."""
        where, params = "seq > ?", [seq]
        if types:
            where += f" AND type IN ({_marks(types)})"
            params += types
        sql = f"SELECT * FROM events WHERE {where} ORDER BY seq LIMIT ?"
        return [Event.from_row(row) for row in self._db.query(sql, [*params, limit])]

    def latest(self, n: int, *, types: list[str] | None = None) -> list[Event]:
        """The last ``n`` events (of the given types), oldest first."""
        where, params = "1", []
        if types:
            where = f"type IN ({_marks(types)})"
            params = list(types)
        sql = f"SELECT * FROM events WHERE {where} ORDER BY seq DESC LIMIT ?"
        rows = list(self._db.query(sql, [*params, n]))
        return [Event.from_row(row) for row in reversed(rows)]

    def iter_all(self, batch: int = 1000) -> Iterator[Event]:
        seq = 0
        while chunk := self.after(seq, limit=batch):
            yield from chunk
            seq = chunk[-1].seq

    def seqs(self) -> list[int]:
        return [row[0] for row in self._conn.execute("SELECT seq FROM events ORDER BY seq")]

    def integrity(self) -> str:
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0]


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))
