"""Erasing media past their keeping time: the file, its index row and any upload still queued.

Face snapshots are personal data, kept briefly; fall evidence is kept longer,
as evidence. Each owner calls :func:`purge_media` for its own kind as a writer
job; events that named a purged file keep its sha256, and readers find it gone.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from edge.events.model import utc_rfc3339
from edge.store.media import MediaStore


def purge_media(conn: sqlite3.Connection, media: MediaStore, kind: str, cutoff: datetime) -> int:
    """Erase the media of ``kind`` created before ``cutoff``; how many."""
    rows = conn.execute(
        "SELECT sha256 FROM media WHERE kind = ? AND created_at < ?", (kind, utc_rfc3339(cutoff)),
    ).fetchall()
    for (sha256,) in rows:
        media.path_for(sha256).unlink(missing_ok=True)
        conn.execute("DELETE FROM media_outbox WHERE sha256 = ?", (sha256,))
        conn.execute("DELETE FROM media WHERE sha256 = ?", (sha256,))
    return len(rows)
