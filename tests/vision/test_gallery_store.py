"""The gallery kept in step with ``face_templates``: only changed rows read, from the downlink and from the box."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.downlink import DownlinkCache
from edge.downlink.page import Change, Page
from edge.downlink.tables import apply_change
from edge.store import database
from edge.store.database import open_database
from edge.store.writer import StoreWriter
from edge.vision.faces.gallery import Gallery
from edge.vision.faces.gallery_store import (
    GallerySync,
    complete_pending,
    delete_person_templates,
    enroll_template,
    pending_photos,
    reject_pending,
)

MODEL = "dlib-resnet-v1/5pt"
NOW = "2026-03-01T10:00:00.000Z"
PHOTO = b"\xff\xd8 a jpeg, really"


def vector(seed: int, dims: int = 128) -> np.ndarray:
    values = np.random.default_rng(seed).standard_normal(dims).astype(np.float32)
    return values / np.linalg.norm(values)


def face(template_id: str, person: str, seed: int, *, model: str = MODEL, dims: int = 128) -> Change:
    data = {"person_id": person, "model_id": model, "embedding": vector(seed, dims).tolist()}
    return Change("face", "upsert", template_id, data)


def photo_face(template_id: str, person: str) -> Change:
    data = {"person_id": person, "photo": base64.b64encode(PHOTO).decode(), "photo_sha256": "ab" * 32}
    return Change("face", "upsert", template_id, data)


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[StoreWriter]:
    async with StoreWriter(tmp_path / "events.db") as store:
        yield store


@pytest.fixture
def reader(writer: StoreWriter) -> Iterator[sqlite3.Connection]:
    """A connection of its own, as the vision worker would hold."""
    conn = open_database(writer.path, readonly=True)
    yield conn
    conn.close()


async def apply(writer: StoreWriter, *changes: Change) -> None:
    def work(conn: sqlite3.Connection) -> None:
        for change in changes:
            apply_change(conn, change, NOW)

    await writer.run(work)


def nearest(gallery: Gallery, seed: int) -> Any:
    return gallery.match(vector(seed)[None, :])[0]


async def test_first_refresh_loads_everything_then_only_changes(writer: StoreWriter, reader) -> None:
    await apply(writer, *(face(f"d{i}", f"p{i % 3}", i) for i in range(10)))
    gallery, sync = Gallery(), GallerySync(MODEL)
    assert sync.refresh(reader, gallery) == (10, 0)
    assert sync.rows_read == 10 and len(gallery) == 10 and gallery.persons() == 3
    assert sync.refresh(reader, gallery) == (0, 0) and sync.rows_read == 0

    await apply(writer, face("d10", "p9", 10))
    assert sync.refresh(reader, gallery) == (1, 0) and sync.rows_read == 1
    assert nearest(gallery, 10).template_id == "d10"


async def test_downlink_replace_and_delete_are_seen(writer: StoreWriter, reader) -> None:
    await apply(writer, face("d0", "alice", 0), face("d1", "bob", 1), face("d2", "carol", 2))
    gallery, sync = Gallery(), GallerySync(MODEL)
    sync.refresh(reader, gallery)

    await apply(writer, face("d0", "alice", 100))  # INSERT OR REPLACE: a new vector for d0
    assert sync.refresh(reader, gallery) == (1, 0) and sync.rows_read == 1
    assert nearest(gallery, 100).template_id == "d0" and nearest(gallery, 100).distance < 1e-3

    await apply(writer, Change("face", "delete", "d1"))  # a tombstone row
    assert sync.refresh(reader, gallery) == (0, 1) and sync.rows_read == 1
    assert "d1" not in gallery and len(gallery) == 2 and gallery.persons() == 2


async def test_snapshot_rebuild_hard_deletes_are_seen(writer: StoreWriter, reader) -> None:
    await apply(writer, face("d0", "alice", 0), face("d1", "bob", 1))
    gallery, sync = Gallery(), GallerySync(MODEL)
    sync.refresh(reader, gallery)

    await DownlinkCache(writer).rebuild(Page("c2", False, (face("d1", "bob", 1), face("d2", "carol", 2))))
    added, removed = sync.refresh(reader, gallery)
    assert removed == 1 and sorted(gallery.template_ids()) == ["d1", "d2"]
    assert added == 2 and sync.rows_read == 3  # d0 gone; d1 and d2 inserted again
    assert sync.refresh(reader, gallery) == (0, 0)


async def test_local_enroll_and_delete(writer: StoreWriter, reader) -> None:
    await apply(writer, face("d0", "alice", 0))
    gallery, sync = Gallery(), GallerySync(MODEL)
    sync.refresh(reader, gallery)

    def enroll(person: str, seed: int, **kw: Any) -> Callable[[sqlite3.Connection], str]:
        return lambda conn: enroll_template(conn, person_id=person, vector=vector(seed), model_id=MODEL,
                                            source_sha256=f"{seed:064x}", enrolled_at=NOW, **kw)

    first = await writer.run(enroll("alice", 10))
    second = await writer.run(enroll("bob", 11))
    assert first.startswith("local-") and len(first) == len("local-") + 32 and first != second
    assert sync.refresh(reader, gallery) == (2, 0) and sync.rows_read == 2
    assert nearest(gallery, 11).person_id == "bob"
    stored = reader.execute("SELECT photo, photo_ref, pending, source_sha256 FROM face_templates WHERE id = ?",
                            (first,)).fetchone()
    assert stored == (None, None, 0, f"{10:064x}")

    assert await writer.run(enroll("alice", 12, template_id=first)) == first  # re-enrolled in place
    assert sync.refresh(reader, gallery) == (1, 0) and sync.rows_read == 1
    assert nearest(gallery, 12).template_id == first

    assert await writer.run(lambda conn: delete_person_templates(conn, "alice", NOW)) == 2
    assert sync.refresh(reader, gallery) == (0, 2) and sync.rows_read == 2
    assert gallery.persons() == 1 and len(gallery) == 1
    tombstones = reader.execute(
        "SELECT embedding, photo, model_id, deleted, updated_at FROM face_templates WHERE person_id = 'alice'"
    ).fetchall()
    assert tombstones == [(None, None, None, 1, NOW)] * 2
    assert await writer.run(lambda conn: delete_person_templates(conn, "alice", NOW)) == 0


async def test_other_models_and_dims_are_not_matched(writer: StoreWriter, reader) -> None:
    await apply(writer, face("d0", "alice", 0), face("d1", "bob", 1, model="arcface-r50"),
                face("d2", "carol", 2, dims=64))
    gallery, sync = Gallery(), GallerySync(MODEL)
    assert sync.refresh(reader, gallery) == (1, 0)
    assert gallery.template_ids() == ["d0"]

    await apply(writer, face("d0", "alice", 0, model="arcface-r50"))  # replaced by another model's template
    assert sync.refresh(reader, gallery) == (0, 1) and len(gallery) == 0


async def test_pending_photo_is_embedded_then_matched(writer: StoreWriter, reader) -> None:
    await apply(writer, photo_face("d0", "alice"), photo_face("d1", "bob"), photo_face("d2", "carol"))
    gallery, sync = Gallery(), GallerySync(MODEL)
    assert sync.refresh(reader, gallery) == (0, 0)

    waiting = await writer.run(lambda conn: pending_photos(conn, limit=10))
    assert [(p.template_id, p.person_id, p.photo) for p in waiting] == [
        ("d0", "alice", PHOTO), ("d1", "bob", PHOTO), ("d2", "carol", PHOTO)]
    assert await writer.run(lambda conn: complete_pending(conn, "d0", vector(20), MODEL, keep_photo=False))
    assert await writer.run(lambda conn: complete_pending(conn, "d1", vector(21), MODEL, keep_photo=True))
    assert await writer.run(lambda conn: reject_pending(conn, "d2", "no face found"))
    assert not await writer.run(lambda conn: complete_pending(conn, "d2", vector(22), MODEL, keep_photo=False))

    assert sync.refresh(reader, gallery) == (2, 0) and sync.rows_read == 3
    assert nearest(gallery, 21).person_id == "bob"
    photos = dict(reader.execute("SELECT id, photo FROM face_templates"))
    assert photos == {"d0": None, "d1": PHOTO, "d2": None}
    assert await writer.run(lambda conn: pending_photos(conn, limit=10)) == []


async def test_a_replaced_store_is_loaded_again(tmp_path: Path, writer: StoreWriter, reader) -> None:
    await apply(writer, *(face(f"d{i}", "alice", i) for i in range(3)))
    gallery, sync = Gallery(), GallerySync(MODEL)
    sync.refresh(reader, gallery)
    async with StoreWriter(tmp_path / "restored.db") as other:
        await apply(other, face("r0", "bob", 9))
    restored = open_database(tmp_path / "restored.db", readonly=True)
    try:
        assert sync.refresh(restored, gallery) == (1, 0)
    finally:
        restored.close()
    assert gallery.template_ids() == ["r0"]


def test_migration_gives_revs_to_a_store_made_before_it(tmp_path: Path, monkeypatch) -> None:
    shipped = database.migrations()
    old = [m for m in shipped if m[0] < 4]
    monkeypatch.setattr(database, "migrations", lambda: old)
    conn = open_database(tmp_path / "old.db")
    for i in range(5):
        apply_change(conn, face(f"d{i}", f"p{i}", i), NOW)
    apply_change(conn, Change("face", "delete", "d4"), NOW)
    conn.close()

    monkeypatch.setattr(database, "migrations", lambda: shipped)
    conn = open_database(tmp_path / "old.db")
    try:
        revs = dict(conn.execute("SELECT id, rev FROM face_templates"))
        assert len(set(revs.values())) == 5 and min(revs.values()) >= 1
        assert conn.execute("SELECT rev FROM face_templates_rev").fetchone()[0] == max(revs.values())
        gallery, sync = Gallery(), GallerySync(MODEL)
        assert sync.refresh(conn, gallery) == (4, 0) and sync.rows_read == 5
        apply_change(conn, face("d0", "p0", 50), NOW)
        assert conn.execute("SELECT rev FROM face_templates WHERE id = 'd0'").fetchone()[0] > max(revs.values())
        assert sync.refresh(conn, gallery) == (1, 0) and sync.rows_read == 1
    finally:
        conn.close()
