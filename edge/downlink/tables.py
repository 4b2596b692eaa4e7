"""Where each kind of change lands (SQL only; runs inside a writer job, never commits).

``resident``, ``grant``, ``config`` and ``broadcast`` keep the data JSON as
sent; ``face`` is split into columns by :func:`edge.downlink.faces.face_row`.
A delete keeps a tombstone (``deleted = 1``) with its data cleared — and, for
a face, its embedding and photo erased.
"""

from __future__ import annotations

import json
import sqlite3

from edge.downlink.faces import face_row
from edge.downlink.page import Change

JSON_TABLES = {"resident": "residents", "grant": "grants", "config": "config_overrides", "broadcast": "broadcasts"}
SYNCED_TABLES = (*JSON_TABLES.values(), "face_templates")

_FACE_COLUMNS = (
    "id", "person_id", "model_id", "embedding", "dims", "photo", "photo_ref", "source_sha256",
    "pending", "enrolled_at", "data", "updated_at",
)
_UPSERT_FACE = (
    f"INSERT OR REPLACE INTO face_templates ({', '.join(_FACE_COLUMNS)}, deleted)"
    f" VALUES ({', '.join(':' + c for c in _FACE_COLUMNS)}, 0)"
)
_DELETE_FACE = (
    "INSERT OR REPLACE INTO face_templates (id, person_id, updated_at, deleted)"
    " VALUES (:id, (SELECT person_id FROM face_templates WHERE id = :id), :updated_at, 1)"
)


def apply_change(conn: sqlite3.Connection, change: Change, now: str) -> None:
    """Write one change; ``now`` (RFC 3339 UTC) becomes its ``updated_at``."""
    if change.kind == "face":
        if change.op == "upsert":
            conn.execute(_UPSERT_FACE, {**face_row(change.id, change.data), "updated_at": now})
        else:
            conn.execute(_DELETE_FACE, {"id": change.id, "updated_at": now})
        return
    table = JSON_TABLES[change.kind]
    deleted = change.op == "delete"
    data = "{}" if deleted else json.dumps(change.data, ensure_ascii=False, separators=(",", ":"))
    conn.execute(
        f"INSERT INTO {table} (id, data, updated_at, deleted) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at,"
        " deleted = excluded.deleted",
        (change.id, data, now, int(deleted)),
    )


def clear_synced(conn: sqlite3.Connection) -> None:
    """Empty every table the downlink fills (before a snapshot rebuild).

    Templates enrolled on the box itself (``local-…`` ids, ``edge faces enroll``)
    are not the district's to rebuild: they stay, with their residents, so a
    snapshot does not lock out people the technician enrolled on site (the
    snapshot's own row for such a resident, if any, replaces the local one).
    """
    for table in SYNCED_TABLES:
        if table == "face_templates":
            conn.execute("DELETE FROM face_templates WHERE id NOT LIKE 'local-%'")
        elif table == "residents":
            conn.execute(
                "DELETE FROM residents WHERE id NOT IN"
                " (SELECT person_id FROM face_templates WHERE id LIKE 'local-%' AND deleted = 0)"
            )
        else:
            conn.execute(f"DELETE FROM {table}")
