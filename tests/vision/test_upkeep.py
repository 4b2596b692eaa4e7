"""The daemon's face upkeep: district photos embedded (and erased), snapshots purged, local enrollments kept."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from edge.access.config import AccessConfig
from edge.access.residents import upsert_local_resident
from edge.downlink import DownlinkCache
from edge.downlink.page import Change, Page
from edge.downlink.tables import apply_change
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.vision.faces.engine import DetectSettings
from edge.vision.faces.gallery_store import enroll_template
from edge.vision.faces.models import MODEL_ID
from edge.vision.faces.upkeep import SNAPSHOT_KIND, GalleryKeeper, embed_pending, purge_snapshots
from edge.vision.faces.workers import InlineFaces
from tests.vision.conftest import FACES

NOW = "2026-11-27T02:00:00.000Z"


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[StoreWriter]:
    async with StoreWriter(tmp_path / "events.db") as store:
        yield store


def photo_change(template_id: str, person: str, photo: Path) -> Change:
    data = {"person_id": person, "photo": base64.b64encode(photo.read_bytes()).decode()}
    return Change("face", "upsert", template_id, data)


def rows(writer: StoreWriter, sql: str) -> list[tuple]:
    with sqlite3.connect(writer.path) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
async def test_district_photos_are_embedded_then_erased_and_bad_ones_given_up(writer, train_vectors) -> None:
    await writer.run(lambda conn: [apply_change(conn, c, NOW) for c in (
        photo_change("d-obama", "obama", FACES / "train" / "obama" / "obama.jpg"),
        photo_change("d-group", "biden", FACES / "two_people.jpg"),
    )])
    keeper = GalleryKeeper(writer.path, AccessConfig(), "Asia/Shanghai")
    faces = InlineFaces(DetectSettings(detect_width=1280))
    assert await embed_pending(keeper, faces, writer, keep_photo=False) == 2
    assert rows(writer, "SELECT id, pending, photo IS NULL, model_id, dims FROM face_templates ORDER BY id") == [
        ("d-group", 0, 1, None, None), ("d-obama", 0, 1, MODEL_ID, 128),
    ]
    assert rows(writer, "SELECT json_extract(data, '$.embed_error') FROM face_templates WHERE id = 'd-group'") == [
        ("2 faces found; an enrollment photo must show one person",),
    ]
    await keeper.refresh()
    (match,) = keeper.match(train_vectors["obama"][1][None, :])
    assert match.person_id == "obama" and match.distance < 0.5
    assert await embed_pending(keeper, faces, writer, keep_photo=False) == 0  # nothing left pending


async def test_old_snapshots_are_purged_with_their_queued_uploads(writer, tmp_path) -> None:
    media = MediaStore(tmp_path / "media")
    old, new = (media.put_bytes(data, kind=SNAPSHOT_KIND, content_type="image/jpeg") for data in (b"old", b"new"))
    other = media.put_bytes(b"clip", kind="fall.clip", content_type="video/mp4")
    then = (datetime.now(UTC) - timedelta(days=40)).isoformat()

    def index(conn: sqlite3.Connection) -> None:
        for ref, created in ((old, then), (new, NOW.replace("2026-11-27", "2999-01-01")), (other, then)):
            conn.execute("INSERT INTO media VALUES (?, ?, ?, ?, ?)", (ref.sha256, ref.kind, ref.content_type, 3, created))
            conn.execute("INSERT INTO media_outbox (sha256) VALUES (?)", (ref.sha256,))

    await writer.run(index)
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert await writer.run(lambda conn: purge_snapshots(conn, media, cutoff)) == 1
    assert not media.path_for(old.sha256).exists()
    assert media.path_for(new.sha256).exists() and media.path_for(other.sha256).exists()
    assert {r[0] for r in rows(writer, "SELECT sha256 FROM media")} == {new.sha256, other.sha256}
    assert {r[0] for r in rows(writer, "SELECT sha256 FROM media_outbox")} == {new.sha256, other.sha256}


async def test_a_snapshot_rebuild_keeps_residents_enrolled_on_the_box(writer) -> None:
    vector = np.full(128, 0.1, np.float32)

    def enroll(conn: sqlite3.Connection) -> None:
        upsert_local_resident(conn, "local-person", "Li Lei", "resident", NOW)
        enroll_template(conn, person_id="local-person", vector=vector,
                        model_id=MODEL_ID, source_sha256="ab" * 32, enrolled_at=NOW)
        apply_change(conn, Change("resident", "upsert", "district-person", {"name": "Han Meimei"}), NOW)

    await writer.run(enroll)
    await DownlinkCache(writer).rebuild(Page("c9", False, (Change("resident", "upsert", "new-person", {"name": "X"}),)))
    assert {r[0] for r in rows(writer, "SELECT id FROM residents")} == {"local-person", "new-person"}
    assert rows(writer, "SELECT person_id FROM face_templates WHERE deleted = 0") == [("local-person",)]
