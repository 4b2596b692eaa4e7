"""From a typed event to a stored, announced event: media, priority rules, optional keys, refusals."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from drivers.base import DeviceEvent, MediaBlob, Priority
from drivers.events import DoorForcedOpen, SosPressed
from edge.events.bus import EventBus
from edge.events.types.broadcast import BroadcastPlayed
from edge.events.types.commands import CommandOutcome
from edge.events.types.devices import DeviceOffline
from edge.events.types.faces import FaceDecided, FaceGranted, FaceStranger
from edge.events.types.falls import FallsBlind
from edge.recording import EventRecorder
from edge.recording.recorder import plain
from edge.store import EventReader, StoreWriter
from edge.store.media import MediaStore
from edge.timesync import ClockSync
from tests.fakes import FakeClock


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot(DeviceEvent):
    """An event type nobody catalogued."""

    TYPE: ClassVar[str] = "test.snapshot"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY


@dataclass(frozen=True, slots=True, kw_only=True)
class LouderSos(SosPressed):
    """A subclass of a catalogued class is a class of its own: not catalogued."""


@pytest.fixture
async def parts(tmp_path: Path):
    writer = StoreWriter(tmp_path / "e.db")
    writer.open()
    bus = EventBus()
    media = MediaStore(tmp_path / "media")
    yield EventRecorder(writer, media, bus, FakeClock(), ClockSync(fixed=True)), bus, media, writer
    await writer.close()


def face(**extra: object) -> dict[str, object]:
    return {"camera": "cam-1", "gate": "north", "person_id": "p1", "distance": 0.41, "margin": 0.12, "votes": 2,
            "track": 7, "reason": "resident", "grant_id": None, "frame": 120} | extra


async def test_device_event_is_stamped_stored_and_announced(parts) -> None:
    recorder, bus, _media, writer = parts
    heard = []
    bus.subscribe(heard.append, types=SosPressed)
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
    event = await recorder.record(DoorForcedOpen(
        media=(MediaBlob("snapshot", "image/jpeg", data=jpeg), MediaBlob("clip", "video/mp4", path=clip)),
    ), device_id="gate-1")
    assert event.data == {}
    snap, video = event.media
    assert snap.sha256 == hashlib.sha256(jpeg).hexdigest() and snap.bytes == len(jpeg)
    assert media.open(snap.sha256) == jpeg and media.open(video.sha256) == clip.read_bytes()
    assert media.path_for(snap.sha256).parent.name == snap.sha256[:2]
    assert not [p for p in media.root.rglob(".*")], "no temporary files left behind"


async def test_media_stored_by_their_service_are_referenced_as_they_are(parts) -> None:
    recorder, _bus, media, _writer = parts
    ref = media.put_bytes(b"face", kind="face.snapshot", content_type="image/jpeg")
    event = await recorder.record(FaceStranger(**face(person_id=None), media=(ref,)), device_id="cam-1")
    assert event.media == (ref,) and event.priority == 2


async def test_the_recorder_stores_payloads_json_ready(parts) -> None:
    recorder, _bus, _media, writer = parts
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    args = {"seen_at": seen, "where": Path("/x"), "points": ((1, 2),)}
    event = await recorder.record(CommandOutcome(command="gate.open", args=args, source="cli", ok=True, detail=""))
    expected = {"seen_at": "2026-01-02T03:04:05.000Z", "where": "/x", "points": [[1, 2]]}
    assert event.data["args"] == expected
    with EventReader(writer.path) as reader:
        assert reader.latest(1)[0].data["args"] == expected


def test_payloads_are_made_json_ready() -> None:
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert plain({"seen_at": seen, "where": Path("/x"), "level": Priority.SECURITY, "points": ((1, 2),)}) == {
        "seen_at": "2026-01-02T03:04:05.000Z", "where": "/x", "level": 1, "points": [[1, 2]]}


async def test_an_event_whose_class_is_not_catalogued_is_refused(parts) -> None:
    recorder, bus, _media, writer = parts
    heard = []
    bus.subscribe(heard.append)
    for event in (Snapshot(), LouderSos(), FaceDecided(**face())):
        with pytest.raises(TypeError, match="not in the event catalogue"):
            await recorder.record(event)
    with pytest.raises(TypeError, match="not in the event catalogue"):
        await recorder.emitter_for("x")(Snapshot())
    assert heard == [] and writer.last_seq == 0


async def test_priority_rules_follow_the_event(parts) -> None:
    recorder, *_ = parts
    ok = CommandOutcome(command="gate.open", args={}, source="cli", ok=True, detail="")
    failed = CommandOutcome(command="gate.open", args={}, source="cli", ok=False, detail="device is offline")
    assert [(await recorder.record(e)).priority for e in (ok, failed)] == [3, 2]
    offline = await recorder.record(DeviceOffline(reason="gone", kind="modbus.sos",
                                                  offline_priority=Priority.LIFE_SAFETY))
    assert offline.priority == 0 and offline.data == {"reason": "gone", "kind": "modbus.sos"}
    assert (await recorder.record(DeviceOffline(reason="gone", kind="sim.gate"))).priority == 2
    played = {"announcement": "a1", "what": "hi", "result": "ok", "started_after_ms": 5.0, "played_s": 1.0,
              "source": "local"}
    urgent = await recorder.record(BroadcastPlayed(urgency="life_safety", **played))
    scheduled = await recorder.record(BroadcastPlayed(urgency="scheduled", **played))
    assert (urgent.priority, scheduled.priority) == (1, 3)


def test_an_offline_priority_must_be_a_priority() -> None:
    with pytest.raises(TypeError, match="must be a Priority"):
        DeviceOffline(reason="gone", kind="sim.sos", offline_priority=0)  # type: ignore[arg-type]


async def test_optional_keys_are_in_the_data_only_when_set(parts) -> None:
    recorder, *_ = parts
    opened = await recorder.record(FaceGranted(**face(), gate_opened=True))
    stuck = await recorder.record(FaceGranted(**face(), gate_opened=False, gate_error="no answer within 10 s"))
    assert list(opened.data) == [*face(), "gate_opened"]
    assert list(stuck.data) == [*face(), "gate_opened", "gate_error"] and stuck.data["gate_error"].startswith("no")


async def test_the_time_it_happened_is_the_callers_else_the_events_else_now(parts) -> None:
    recorder, *_ = parts
    seen = FakeClock().now() - timedelta(seconds=3)
    told = seen - timedelta(seconds=1)
    assert (await recorder.record(SosPressed())).occurred_at == FakeClock().now()
    assert (await recorder.record(SosPressed(occurred_at=seen))).occurred_at == seen
    assert (await recorder.record(SosPressed(occurred_at=seen), occurred_at=told)).occurred_at == told


def test_media_store_refuses_names_that_are_not_sha256(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        MediaStore(tmp_path).path_for("../../etc/passwd")


async def test_the_recorder_fixture_checks_payloads_against_their_class(recorder) -> None:
    from tests.conftest import _payload_problems

    good = await recorder.record(SosPressed())
    assert _payload_problems(good) == []
    assert _payload_problems(replace(good, data={"stray": 1}))  # no such key in sos.pressed
    blind = await recorder.record(FallsBlind(camera="c", skipped_share=0.8, reasons={"snow": 20}))
    assert _payload_problems(blind) == []
    assert _payload_problems(replace(blind, data={"camera": "c", "skipped_share": 0.8}))  # reasons missing
    assert _payload_problems(replace(blind, data={**blind.data, "reasons": "snow"}))  # not an object
    assert _payload_problems(replace(blind, type="gas.leak"))  # no such type
