"""The gallery's SQLite side: incremental refresh from ``face_templates``, and the writes on it.

``face_templates`` holds the district's templates and the box's own enrollments
(ids ``local-<hex>``). Migration 0004 stamps every insert, update and hard delete
with a rising ``rev``; :class:`GallerySync` remembers the highest it has seen
and each ``refresh`` reads only rows above it — upserts, tombstones and hard
deletes alike — in one statement, so one snapshot.

A row is a live template when it is not deleted, not pending, has a person, and
its embedding is ``dims`` float32 made by our model. Anything else (a
tombstone, another model's template, a photo waiting to be embedded) removes
that id from the gallery if it was there.

The write helpers take a ``sqlite3.Connection`` and never commit: they run
inside a store writer job (``StoreWriter.run``) or a transaction the CLI opens.
Photos are biometric data: a local enrollment never stores its photo, and a
photo the district sent for the box to embed is erased once embedded unless
``keep_photo`` asks otherwise.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from edge.events.model import utc_rfc3339
from edge.vision.faces.gallery import DIMS, Gallery

LOCAL_PREFIX = "local-"

_CHANGED_SINCE = """
SELECT id, person_id, model_id, embedding, dims, pending, deleted, rev
  FROM face_templates WHERE rev > :rev
UNION ALL
SELECT id, NULL, NULL, NULL, NULL, 0, 1, rev
  FROM face_templates_removed WHERE rev > :rev
ORDER BY rev
"""

_ENROLL = """
INSERT INTO face_templates
    (id, person_id, model_id, embedding, dims, photo, photo_ref, source_sha256, pending, enrolled_at,
     data, updated_at, deleted)
VALUES (:id, :person_id, :model_id, :embedding, :dims, NULL, NULL, :source_sha256, 0, :enrolled_at,
        '{}', :enrolled_at, 0)
ON CONFLICT (id) DO UPDATE SET
    person_id = excluded.person_id, model_id = excluded.model_id, embedding = excluded.embedding,
    dims = excluded.dims, photo = NULL, photo_ref = NULL, source_sha256 = excluded.source_sha256,
    pending = 0, enrolled_at = excluded.enrolled_at, updated_at = excluded.updated_at, deleted = 0
"""

# The same tombstone the downlink leaves: id, person and time kept; everything biometric cleared.
_TOMBSTONE_PERSON = """
UPDATE face_templates
   SET model_id = NULL, embedding = NULL, dims = NULL, photo = NULL, photo_ref = NULL,
       source_sha256 = NULL, pending = 0, enrolled_at = NULL, data = '{}', updated_at = ?, deleted = 1
 WHERE person_id = ? AND deleted = 0
"""


@dataclass(frozen=True, slots=True)
class PendingPhoto:
    """A photo the district sent for the box to embed (inline bytes, or a reference to fetch)."""

    template_id: str
    person_id: str | None
    photo: bytes | None
    photo_ref: str | None
    source_sha256: str | None


class GallerySync:
    """Keeps one :class:`Gallery` in step with ``face_templates``, reading only what changed."""

    def __init__(self, model_id: str, *, dims: int = DIMS) -> None:
        self.model_id = model_id
        self.dims = dims
        self.rev = 0  # the highest rev applied to the gallery
        self.rows_read = 0  # rows the last refresh read

    def refresh(self, conn: sqlite3.Connection, gallery: Gallery) -> tuple[int, int]:
        """Apply every change since the last refresh (everything, the first time); (added, removed).

        ``added`` counts templates added or replaced, ``removed`` templates dropped
        from the gallery. The gallery must start empty and be fed by this sync alone.
        """
        if gallery.dims != self.dims:
            raise ValueError(f"gallery holds {gallery.dims}-d templates, this sync reads {self.dims}-d")
        if self.rev > _last_rev(conn):  # the store was replaced (restored, rebuilt): start over
            gallery.clear()
            self.rev = 0
        rows = conn.execute(_CHANGED_SINCE, {"rev": self.rev}).fetchall()
        added = removed = 0
        for template_id, person_id, model_id, embedding, dims, pending, deleted, rev in rows:
            vector = self._live_vector(person_id, model_id, embedding, dims, pending, deleted)
            if vector is not None:
                gallery.add(template_id, person_id, vector)
                added += 1
            elif gallery.remove(template_id):
                removed += 1
            self.rev = max(self.rev, rev)
        self.rows_read = len(rows)
        return added, removed

    def _live_vector(
        self, person_id: str | None, model_id: str | None, embedding: bytes | None, dims: int | None,
        pending: int, deleted: int,
    ) -> np.ndarray | None:
        """The template's vector when the row is one the gallery should hold, else None."""
        if deleted or pending or not person_id or model_id != self.model_id or dims != self.dims:
            return None
        if embedding is None or len(embedding) != 4 * self.dims:
            return None
        vector = np.frombuffer(embedding, dtype="<f4")
        return vector if np.isfinite(vector).all() else None


def enroll_template(
    conn: sqlite3.Connection, *, person_id: str, vector: np.ndarray, model_id: str,
    source_sha256: str, enrolled_at: str, template_id: str | None = None,
) -> str:
    """Store a template enrolled on the box (not its photo); return its id (``local-<hex>`` by default)."""
    if not person_id:
        raise ValueError("a template needs a person_id")
    embedding, dims = _embedding_blob(vector)
    template_id = template_id or f"{LOCAL_PREFIX}{uuid.uuid4().hex}"
    conn.execute(_ENROLL, {
        "id": template_id, "person_id": person_id, "model_id": model_id, "embedding": embedding,
        "dims": dims, "source_sha256": source_sha256, "enrolled_at": enrolled_at,
    })
    return template_id


def delete_person_templates(conn: sqlite3.Connection, person_id: str, now: str) -> int:
    """Tombstone every live template of ``person_id``; return how many."""
    return conn.execute(_TOMBSTONE_PERSON, (now, person_id)).rowcount


def pending_photos(conn: sqlite3.Connection, limit: int) -> list[PendingPhoto]:
    """Photos waiting to be embedded on the box, oldest change first."""
    rows = conn.execute(
        "SELECT id, person_id, photo, photo_ref, source_sha256 FROM face_templates"
        " WHERE pending = 1 AND deleted = 0 ORDER BY rev LIMIT ?",
        (limit,),
    ).fetchall()
    return [PendingPhoto(*row) for row in rows]


def complete_pending(
    conn: sqlite3.Connection, template_id: str, vector: np.ndarray, model_id: str, keep_photo: bool,
    *, now: str | None = None,
) -> bool:
    """Store the embedding of a pending photo; erase the photo unless ``keep_photo``.

    False when the row is no longer pending (deleted or replaced meanwhile).
    """
    embedding, dims = _embedding_blob(vector)
    cursor = conn.execute(
        "UPDATE face_templates SET embedding = ?, dims = ?, model_id = ?, pending = 0,"
        " photo = CASE WHEN ? THEN photo ELSE NULL END, updated_at = ?"
        " WHERE id = ? AND pending = 1 AND deleted = 0",
        (embedding, dims, model_id, int(keep_photo), now or _now(), template_id),
    )
    return cursor.rowcount == 1


def reject_pending(conn: sqlite3.Connection, template_id: str, reason: str, *, now: str | None = None) -> bool:
    """Give up on a pending photo (no usable face in it): not pending any more, photo erased, reason kept."""
    cursor = conn.execute(
        "UPDATE face_templates SET pending = 0, photo = NULL, data = json_set(data, '$.embed_error', ?),"
        " updated_at = ? WHERE id = ? AND pending = 1 AND deleted = 0",
        (reason, now or _now(), template_id),
    )
    return cursor.rowcount == 1


def _embedding_blob(vector: np.ndarray) -> tuple[bytes, int]:
    values = np.asarray(vector, dtype="<f4")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"a template is one vector, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("a template must be finite")
    return values.tobytes(), int(values.size)


def _last_rev(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT rev FROM face_templates_rev").fetchone()[0])


def _now() -> str:
    return utc_rfc3339(datetime.now(UTC))
