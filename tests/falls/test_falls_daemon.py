"""In the daemon: a façade camera plays a generated throw; an alarm with a clip and a picture is stored.

The camera is the simulator playing a video from the scene generator (the
only stand-in: there is no real façade here); the detector, the frame ring,
the evidence writer and the store are the daemon's own.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import cv2
import pytest

from drivers.base import DeviceEvent
from edge.cli.status_cmd import render
from edge.daemon.app import Daemon
from edge.events.model import utc_rfc3339
from edge.store import EventReader
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.timesync import ClockSync
from edge.vision.falls.config import FallsConfig
from edge.vision.falls.service import CameraAnalysis, FallService
from tests.fakes import FakeClock, wait_until
from tests.harness import RunningDaemon, running_daemon
from tests.scenes.render import SceneSpec, write_scene
from tests.sites import load_site

pytestmark = pytest.mark.slow

SPEAKER = """
[[devices]]
kind = "sim.speaker"
id = "spk-1"
out_dir = "{data}/speaker"
[[broadcast.alarms]]
event_type = "fall.detected"
text = "{{location}}，{{floor}}楼有高空抛物，请注意避让"
repeat = 1
"""


def facade(tmp_path: Path, video: Path, calibration: Path, extra: str = "") -> AbstractAsyncContextManager[RunningDaemon]:
    """The façade site on ``video`` and ``calibration``, the camera's clock real (it plays a file)."""
    config = load_site("facade", data=tmp_path / "var", video=video, calibration=calibration, extra=extra)
    return running_daemon(config, clock_sync=ClockSync(fixed=False), within_s=30)


def falls(daemon: Daemon) -> list:
    if daemon.writer.last_seq == 0:
        return []  # not started yet
    with EventReader(daemon.writer.path) as reader:
        return [e for e in reader.iter_all() if e.type.startswith("fall")]


async def test_a_throw_becomes_an_alarm_with_a_clip_and_a_picture(tmp_path) -> None:
    spec = SceneSpec(size=(640, 360), seconds=4, floors=12, throw_floor=9, throw_size_px=8, seed=11)
    video, calibration, truth = await asyncio.to_thread(write_scene, spec, tmp_path)
    async with facade(tmp_path, video, calibration, SPEAKER) as running:  # and a speaker for the alarm
        daemon = running.daemon
        await wait_until(lambda: len(falls(daemon)) >= 1, timeout=30)
        await wait_until(lambda: running.of_type("broadcast.played"), timeout=10)
        status = daemon.status()["falls"]
        shown = render(daemon.status())
    played = running.of_type("broadcast.played")
    assert "falls: facade-1 " in shown and " fps, " in shown
    assert played[0].data["what"] == "3号楼南侧，9楼有高空抛物，请注意避让"
    assert played[0].data["urgency"] == "life_safety"
    event = falls(daemon)[0]
    assert event.type == "fall.detected" and event.priority == 1 and event.device_id == "facade-1"
    assert event.data["floor"] == truth[0]["floor"] == 9
    assert event.data["building"] == "Building 3, south face" and event.data["camera"] == "facade-1"
    assert abs(event.data["release_frame"] - truth[0]["release_frame"]) <= 5
    clip, picture = event.media
    assert (clip.kind, clip.content_type) == ("fall.clip", "video/mp4")
    assert (picture.kind, picture.content_type) == ("fall.picture", "image/jpeg")
    assert cv2.imread(str(daemon.media.path_for(picture.sha256))).shape[1] == 640
    capture = cv2.VideoCapture(str(daemon.media.path_for(clip.sha256)))
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    fall_frames = event.data["end_frame"] - event.data["release_frame"]
    assert frames >= fall_frames + 25  # from a second before the release to half a second after the fall
    assert status["cameras"]["facade-1"]["frames"] > 0 and status["errors"] == {}
    assert 24 <= status["cameras"]["facade-1"]["fps"] <= 26  # measured: the camera does not say


async def test_a_broken_calibration_is_reported_once_and_the_camera_keeps_streaming(tmp_path) -> None:
    spec = SceneSpec(size=(320, 180), seconds=1, throws=0, seed=1)
    video, _, _ = await asyncio.to_thread(write_scene, spec, tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"frame_size": [320, 180], "facade": [[0, 0], [10, 0]]}))
    async with facade(tmp_path, video, broken) as running:
        daemon = running.daemon
        await wait_until(lambda: len(falls(daemon)) >= 1)
        await wait_until(lambda: daemon.health.get("facade-1").state.value == "online")
    (invalid,) = falls(daemon)
    assert invalid.type == "falls.calibration_invalid" and invalid.priority == 2
    assert "broken.json" in invalid.data["error"] or "facade" in invalid.data["error"]


async def test_evidence_older_than_its_retention_is_erased(tmp_path) -> None:
    media = MediaStore(tmp_path / "media")
    clock = FakeClock()
    async with StoreWriter(tmp_path / "e.db") as writer:
        service = FallService(FallsConfig(evidence_retention_days=30), cameras={}, media=media,
                              record=None, writer=writer, clock=clock)
        clip = media.put_bytes(b"clip", kind="fall.clip", content_type="video/mp4")
        snapshot = media.put_bytes(b"face", kind="face.snapshot", content_type="image/jpeg")
        await writer.run(lambda conn: [
            conn.execute("INSERT INTO media VALUES (?, ?, ?, 4, ?)", (ref.sha256, ref.kind, ref.content_type,
                                                                       utc_rfc3339(clock.now())))
            for ref in (clip, snapshot)
        ])
        assert await service.purge_evidence() == 0  # not old yet
        clock.skip(timedelta(days=31).total_seconds())
        assert await service.purge_evidence() == 1
    assert not media.path_for(clip.sha256).exists() and media.path_for(snapshot.sha256).exists()


async def test_a_camera_blinded_by_snow_says_so_once(tmp_path) -> None:
    spec = SceneSpec(size=(640, 360), seconds=3, throws=0, distractors=("snow",), seed=5)
    video, calibration, _ = await asyncio.to_thread(write_scene, spec, tmp_path)
    async with facade(tmp_path, video, calibration, "blind_window_s = 1.0") as running:  # in [falls]
        daemon = running.daemon
        await wait_until(lambda: any(e.type == "falls.blind" for e in falls(daemon)), timeout=30)
        await asyncio.sleep(2.5)  # more snowy windows: still one report
        status = daemon.status()["falls"]["cameras"]["facade-1"]
    (blind,) = [e for e in falls(daemon) if e.type == "falls.blind"]
    assert blind.priority == 2 and blind.data["skipped_share"] >= 0.5 and blind.data["reasons"]
    assert status["blind"] is True
    assert not [e for e in falls(daemon) if e.type in ("fall.detected", "falls.sighted")]


async def test_blind_then_sighted_are_each_reported_once() -> None:
    recorded: list[tuple[str, dict]] = []

    async def record(event: DeviceEvent, **_kw: object) -> None:
        recorded.append((event.TYPE, event.payload()))

    service = FallService(FallsConfig(), cameras={}, media=None, record=record)  # type: ignore[arg-type]
    detector = SimpleNamespace(skipped={"warming": 5})
    analysis = CameraAnalysis(detector, ring=None, fps=25.0)  # type: ignore[arg-type]
    for skipped_in_window in (0, 20, 24, 25, 2, 0):  # of 25 frames each
        analysis.frames += 25
        detector.skipped["too many blobs"] = detector.skipped.get("too many blobs", 0) + skipped_in_window
        await service._check_sight("facade-1", analysis)
    assert [(t, d["skipped_share"]) for t, d in recorded] == [("falls.blind", 0.8), ("falls.sighted", 0.08)]
    assert recorded[0][1]["reasons"] == {"too many blobs": 20}


def test_the_frame_rate_is_measured_past_a_stall_and_its_catch_up_burst() -> None:
    from types import SimpleNamespace

    from edge.vision.falls.service import _measured_fps

    stamps = [0.0, 0.04, 0.08, 0.40, 0.401, 0.402, 0.44, 0.48, 0.52, 0.56, 0.60, 0.64, 0.68]  # stalled, then caught up
    frames = [SimpleNamespace(index=k, monotonic=t) for k, t in enumerate(stamps)]
    assert _measured_fps(frames) == 25.0
    dropped = [SimpleNamespace(index=2 * k, monotonic=0.08 * k) for k in range(13)]  # every other frame lost
    assert _measured_fps(dropped) == 25.0
    assert _measured_fps(frames[:1]) is None
    assert _measured_fps([SimpleNamespace(index=k, monotonic=0.0) for k in range(5)]) is None  # no clock
