"""The sync API's reads of the event store: blocking, so :mod:`edge.api.sync` runs them in a thread.

Each call opens its own read-only connection and closes it before returning.
Opening one costs well under a millisecond, WAL lets it read beside the
writer, and no connection is ever shared between the threads of the pool
(``sqlite3`` connections are not safe to use from two threads at once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edge.store.database import open_database
from edge.store.reader import EventReader


@dataclass(frozen=True, slots=True)
class MediaRow:
    sha256: str
    kind: str
    content_type: str
    bytes: int


def events_page_json(db_path: Path, after_seq: int, limit: int) -> bytes:
    """``{"events", "last_seq", "more"}`` as JSON: serialised here too, off the event loop.

    ``last_seq`` is read after the events, so it is never below the last one
    returned, and ``more`` is exactly "``last_seq`` lies beyond this page".
    """
    with EventReader(db_path, readonly=True) as reader:
        events = reader.after(after_seq, limit=limit)
        last_seq = reader.last_seq()
    reached = events[-1].seq if events else after_seq
    page = {"events": [e.to_wire() for e in events], "last_seq": last_seq, "more": last_seq > reached}
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def find_media(db_path: Path, sha256: str) -> MediaRow | None:
    conn = open_database(db_path, readonly=True)
    try:
        row = conn.execute(
            "SELECT sha256, kind, content_type, bytes FROM media WHERE sha256 = ?", (sha256,)
        ).fetchone()
    finally:
        conn.close()
    return MediaRow(*row) if row else None
