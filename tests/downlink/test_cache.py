"""The cache: a page and its cursor commit together; deletes leave tombstones; a rebuild replaces all."""

from __future__ import annotations

import base64
import struct

import pytest

from edge.downlink import Change, DownlinkCache, Page
from edge.downlink import cache as cache_module
from edge.store.writer import StoreWriter
from tests.downlink.helpers import rows


def page(cursor: str, *changes: Change, more: bool = False) -> Page:
    return Page(cursor, more, changes)


async def test_page_and_cursor_land_together(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    assert await cache.cursor() is None
    await cache.apply(page("2", Change("resident", "upsert", "r1", {"name": "Ana", "flat": "3B"}),
                           Change("grant", "upsert", "g1", {"person_id": "r1", "gate": "north"})))
    assert await cache.cursor() == "2"
    assert await rows(writer, "SELECT id, data, deleted FROM residents") == [
        ("r1", '{"name":"Ana","flat":"3B"}', 0)]
    assert await rows(writer, "SELECT id, json_extract(data, '$.gate') FROM grants") == [("g1", "north")]


async def test_a_failing_change_rolls_back_the_page_and_its_cursor(writer: StoreWriter, monkeypatch) -> None:
    cache = DownlinkCache(writer)
    await cache.apply(page("1", Change("config", "upsert", "volume", {"value": 3})))
    real = cache_module.apply_change

    def failing(conn, change, now):  # type: ignore[no-untyped-def]
        if change.id == "boom":
            raise RuntimeError("disk on fire")
        real(conn, change, now)

    monkeypatch.setattr(cache_module, "apply_change", failing)
    with pytest.raises(RuntimeError):
        await cache.apply(page("3", Change("config", "upsert", "volume", {"value": 9}),
                               Change("config", "upsert", "boom", {})))
    assert await cache.cursor() == "1"
    assert await rows(writer, "SELECT id, data FROM config_overrides") == [("volume", '{"value":3}')]


async def test_delete_leaves_a_tombstone_with_the_data_cleared(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    await cache.apply(page("1", Change("broadcast", "upsert", "b1", {"text": "water off at noon"})))
    await cache.apply(page("2", Change("broadcast", "delete", "b1"), Change("resident", "delete", "never-seen")))
    assert await rows(writer, "SELECT id, data, deleted FROM broadcasts") == [("b1", "{}", 1)]
    assert await rows(writer, "SELECT id, deleted FROM residents") == [("never-seen", 1)]


async def test_face_templates_embedding_or_pending_photo(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    vector = [0.25, -1.5, 3.0]
    photo = b"\xff\xd8 a jpeg"
    await cache.apply(page(
        "3",
        Change("face", "upsert", "f1", {"person_id": "r1", "model_id": "dlib-128", "embedding": vector,
                                        "source_sha256": "ab" * 32, "enrolled_at": "2026-11-01T10:00:00Z",
                                        "quality": 0.9}),
        Change("face", "upsert", "f2", {"person_id": "r1", "model_id": "other",
                                        "embedding": base64.b64encode(struct.pack("<2f", 1, 2)).decode()}),
        Change("face", "upsert", "f3", {"person_id": "r2", "photo": base64.b64encode(photo).decode(),
                                        "photo_sha256": "cd" * 32}),
    ))
    got = await rows(writer, "SELECT id, person_id, model_id, embedding, dims, photo, photo_ref, source_sha256,"
                             " pending, enrolled_at, data FROM face_templates ORDER BY id")
    assert got[0] == ("f1", "r1", "dlib-128", struct.pack("<3f", *vector), 3, None, None, "ab" * 32, 0,
                      "2026-11-01T10:00:00Z", '{"quality":0.9}')
    assert got[1][3:5] == (struct.pack("<2f", 1, 2), 2)
    assert got[2][:9] == ("f3", "r2", None, None, None, photo, "cd" * 32, "cd" * 32, 1)


async def test_face_delete_erases_the_biometrics(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    await cache.apply(page("1", Change("face", "upsert", "f1", {"person_id": "r1", "embedding": [1.0, 2.0]})))
    await cache.apply(page("2", Change("face", "delete", "f1")))
    assert await rows(writer, "SELECT id, person_id, embedding, photo, pending, deleted FROM face_templates") == [
        ("f1", "r1", None, None, 0, 1)]


async def test_unreadable_embedding_is_stored_without_one(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    await cache.apply(page("1", Change("face", "upsert", "f1", {"embedding": "AAA=", "photo_url": "https://x/p.jpg"}),
                           Change("face", "upsert", "f2", {"embedding": [1.0, float("nan")]})))
    assert await rows(writer, "SELECT id, embedding, photo_ref, pending FROM face_templates ORDER BY id") == [
        ("f1", None, "https://x/p.jpg", 1), ("f2", None, None, 0)]


async def test_rebuild_replaces_everything_synced(writer: StoreWriter) -> None:
    cache = DownlinkCache(writer)
    await cache.apply(page("5", Change("resident", "upsert", "r1", {}), Change("resident", "delete", "r2"),
                           Change("face", "upsert", "f1", {"embedding": [1.0]}), Change("grant", "upsert", "g1", {})))
    await cache.rebuild(page("40", Change("resident", "upsert", "r3", {"name": "C"})))
    assert await cache.cursor() == "40"
    assert await rows(writer, "SELECT id, deleted FROM residents") == [("r3", 0)]
    for table in ("face_templates", "grants", "config_overrides", "broadcasts"):
        assert await rows(writer, f"SELECT * FROM {table}") == []
