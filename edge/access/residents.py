"""Residents enrolled on the box itself (``edge faces enroll``), written as the downlink writes them.

Both functions are writer jobs: run them through ``await writer.run(lambda
conn: upsert_local_resident(conn, ...))``; they never commit. A later change
from the district for the same id replaces what they wrote (the district is
the source of truth); what a downlink snapshot rebuild keeps is up to
:func:`edge.downlink.tables.clear_synced`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

_UPSERT = (
    "INSERT INTO residents (id, data, updated_at, deleted) VALUES (?, ?, ?, 0)"
    " ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, deleted = 0"
)
_TOMBSTONE = "UPDATE residents SET data = '{}', updated_at = ?, deleted = 1 WHERE id = ? AND deleted = 0"


def upsert_local_resident(
    conn: sqlite3.Connection, person_id: str, name: str, category: str | None, now_rfc3339: str
) -> None:
    """Create the resident, or set their ``name`` (and ``category``, unless None) keeping every other key.

    A tombstoned resident comes back with only the keys given here.
    """
    if not person_id.strip():
        raise ValueError("person id is blank")
    if not name.strip():
        raise ValueError("name is blank")
    data = _live_data(conn, person_id)
    data["name"] = name
    if category is not None:
        data["category"] = category
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    conn.execute(_UPSERT, (person_id, text, now_rfc3339))


def delete_resident(conn: sqlite3.Connection, person_id: str, now: str) -> bool:
    """Leave a tombstone (data cleared) for a live resident; False when there was none."""
    return conn.execute(_TOMBSTONE, (now, person_id)).rowcount == 1


def _live_data(conn: sqlite3.Connection, person_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT data FROM residents WHERE id = ? AND deleted = 0", (person_id,)).fetchone()
    if row is None:
        return {}
    try:
        data = json.loads(row[0])
    except (TypeError, ValueError):
        return {}  # nothing readable to keep
    return data if isinstance(data, dict) else {}
