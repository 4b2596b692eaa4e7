"""From a driver's typed event to a stored, announced event, media included."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from drivers.base import DeviceEvent, MediaBlob, Priority
from drivers.events import SosPressed
from edge.events.bus import EventBus
from edge.events.recorder import EventRecorder
from edge.store import EventReader, StoreWriter
from edge.store.media import MediaStore
from edge.timesync import ClockSync
from tests.fakes import FakeClock


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot(DeviceEvent):
    TYPE: ClassVar[str] = "test.snapshot"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    seen_at: datetime
    where: Path


@pytest.fixture
async def parts(tmp_path: Path):
    writer = StoreWriter(tmp_path / "e.db")
    writer.open()
    bus = EventBus()
    media = MediaStore(tmp_path / "media")
    yield EventRecorder(writer, media, bus, FakeClock(), ClockSync(fixed=True)), bus, media, writer
    await writer.close()


async def test_device_event_is_stamped_stored_and_announced(parts) -> None:
    recorder, bus, _media, writer = parts
    heard = []
    bus.subscribe(heard.append, types=["sos.pressed"])
    emit = recorder.emitter_for("sos-7")
    await emit(SosPressed())
    (event,) = heard
    assert (event.seq, event.type, event.priority, event.device_id) == (1, "sos.pressed", 0, "sos-7")
    assert event.clock_synced is True and event.occurred_at == FakeClock().now()
    with EventReader(writer.path) as reader:
        assert reader.after(0)[0].to_wire() == event.to_wire()


async def test_media_is_stored_by_sha256_and_referenced(parts, tmp_path: Path) -> None:
    recorder, _bus, media, _writer = parts
    jpeg = b"\xff\xd8fake-jpeg\xff\xd9"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" * 10)
    event = await recorder.record_device_event("cam-1", Snapshot(
        seen_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), where=Path("/x"),
        media=(MediaBlob("snapshot", "image/jpeg", data=jpeg), MediaBlob("clip", "video/mp4", path=clip)),
    ))
    assert event.data == {"seen_at": "2026-01-02T03:04:05.000Z", "where": "/x"}
    snap, video = event.media
    assert snap.sha256 == hashlib.sha256(jpeg).hexdigest() and snap.bytes == len(jpeg)
    assert media.open(snap.sha256) == jpeg and media.open(video.sha256) == clip.read_bytes()
    assert media.path_for(snap.sha256).parent.name == snap.sha256[:2]
    assert not [p for p in media.root.rglob(".*")], "no temporary files left behind"


def test_media_store_refuses_names_that_are_not_sha256(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        MediaStore(tmp_path).path_for("../../etc/passwd")


def test_bus_unsubscribe_and_failing_subscriber() -> None:
    bus = EventBus()
    got: list[str] = []

    def broken(_event) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    bus.subscribe(broken)
    undo = bus.subscribe(lambda e: got.append(e.type))
    from edge.events.model import Event
    event = Event(1, "id", "x.y", 3, datetime.now(UTC), False, None, {})
    bus.publish(event)
    undo()
    undo()  # twice is harmless
    bus.publish(event)
    assert got == ["x.y"]
