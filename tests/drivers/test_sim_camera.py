"""SimCamera: synthetic frames, a real video file, the bounded buffer, stats, stalls, failures, the thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.base import Command, CommandResult, DriverError, HealthState, Probe
from drivers.events import CameraStreamStats
from drivers.sim.camera import (
    Frame,
    SimCamera,
    SimFacadeCamera,
    SimFacadeCameraConfig,
    SimFaceCamera,
    SimFaceCameraConfig,
)
from tests.drivers.fakes import EventSink, eventually, running, threads_named
from tests.fakes import FakeClock

SHADES = [0, 50, 100, 150, 200]


@pytest.fixture(autouse=True)
def no_capture_thread_left_behind() -> Iterator[None]:
    yield
    assert threads_named("sim-camera") == []


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """Five 64x48 frames of flat grey, each lighter than the last (MJPG in AVI, 25 fps)."""
    path = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (64, 48))
    assert writer.isOpened()
    for shade in SHADES:
        writer.write(np.full((48, 64, 3), shade, np.uint8))
    writer.release()
    return path


def make_camera(kind: type[SimCamera] = SimFaceCamera, **settings: object) -> tuple[SimCamera, EventSink, FakeClock]:
    sink, clock = EventSink(), FakeClock()
    config_model = SimFaceCameraConfig if kind is SimFaceCamera else SimFacadeCameraConfig
    return kind(config_model(id="cam-1", **settings), sink, clock), sink, clock


async def frames(camera: SimCamera, count: int) -> list[Frame]:
    async with asyncio.timeout(3):  # real time: the frames come from a thread
        return [await camera.next_frame() for _ in range(count)]  # type: ignore[misc]


def shade(frame: Frame) -> float:
    return float(frame.image.mean())


async def test_synthetic_frames_move_and_carry_clock_stamps() -> None:
    camera, _, clock = make_camera(SimFacadeCamera, width=64, height=48, fps=100)
    async with running(camera):
        got = await frames(camera, 3)
    assert [f.index for f in got] == [0, 1, 2]
    assert all(f.image.shape == (48, 64, 3) and f.image.dtype == np.uint8 for f in got)
    assert not np.array_equal(got[0].image, got[1].image)
    assert all(f.monotonic == 0.0 and f.wall == clock.now() for f in got)


async def test_plays_a_real_video_file_then_stalls(video: Path) -> None:
    camera, _, clock = make_camera(video=video, loop=False, fps=100, buffer_frames=16, stall_after_s=5)
    async with running(camera):
        got = await frames(camera, 5)
        assert [f.index for f in got] == [0, 1, 2, 3, 4]
        assert [shade(f) for f in got] == pytest.approx(SHADES, abs=3)
        await eventually(lambda: threads_named("sim-camera") == [])  # the file ended: the thread is done
        assert await camera.next_frame(timeout=0) is None
        assert (await camera.probe()).state is HealthState.ONLINE
        await clock.advance(5)
        assert await camera.probe() == Probe(HealthState.DEGRADED, "no frame for 5 s or more")
        await clock.advance(60)
        assert await camera.probe() == Probe(HealthState.DEGRADED, "no frame for 5 s or more")


async def test_loops_the_video(video: Path) -> None:
    camera, _, _ = make_camera(video=video, loop=True, fps=100, buffer_frames=16)
    async with running(camera):
        got = await frames(camera, 7)
    assert [shade(f) for f in got] == pytest.approx(SHADES + SHADES[:2], abs=3)


async def test_full_buffer_drops_the_oldest_and_stats_count_it(video: Path) -> None:
    camera, sink, clock = make_camera(video=video, loop=False, fps=100, buffer_frames=2, stats_interval_s=10)
    async with running(camera):
        await eventually(lambda: threads_named("sim-camera") == [])
        await clock.advance(9)
        assert sink.events == []
        await clock.advance(1)
        kept = [await camera.next_frame(timeout=0) for _ in range(3)]
        await clock.advance(10)
    assert [f.index for f in kept if f] == [3, 4] and kept[2] is None
    assert sink.of(CameraStreamStats) == [
        CameraStreamStats(frames=5, dropped=3, fps=0.5, occurred_at=sink.events[0].occurred_at),
        CameraStreamStats(frames=0, dropped=0, fps=0.0, occurred_at=sink.events[1].occurred_at),
    ]


async def test_next_frame_times_out_on_the_clock() -> None:
    camera, _, clock = make_camera()  # not running: no frames will come
    waiting = asyncio.create_task(camera.next_frame(timeout=2))
    await clock.advance(1.9)
    assert not waiting.done()
    await clock.advance(0.1)
    assert waiting.done() and waiting.result() is None


async def test_missing_video_makes_run_fail(tmp_path: Path) -> None:
    camera, _, _ = make_camera(video=tmp_path / "nope.avi")
    await camera.connect()
    with pytest.raises(DriverError, match="video not found"):
        async with asyncio.timeout(2):
            await camera.run()
    await camera.close()


async def test_unreadable_video_makes_run_fail(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00not a video" * 100)
    camera, _, _ = make_camera(video=garbage)
    with pytest.raises(DriverError, match="garbage.avi"):
        async with asyncio.timeout(2):
            await camera.run()
    # the supervisor retries: nothing stale stops the next attempt at connecting
    await camera.close()
    await camera.connect()


async def test_unplug_stops_the_stream_promptly_and_replug_resumes() -> None:
    camera, _, _ = make_camera(width=32, height=32, fps=1)  # one frame a second: the thread mostly waits
    async with running(camera) as task:
        first = await frames(camera, 1)
        started = time.monotonic()
        assert await camera.execute(Command("sim.unplug")) == CommandResult(True, "unplugged")
        await asyncio.wait([task], timeout=1)
        assert str(task.exception()) == "unplugged (simulated)"
        assert threads_named("sim-camera") == []
        assert time.monotonic() - started < 0.5
    assert (await camera.probe()).state is HealthState.OFFLINE
    with pytest.raises(DriverError):
        await camera.connect()
    camera.replug()
    async with running(camera):
        again = await frames(camera, 1)
    assert (first[0].index, again[0].index) == (0, 1)


async def test_cancelling_run_stops_the_thread_promptly() -> None:
    camera, _, _ = make_camera(width=32, height=32, fps=1)
    task = asyncio.create_task(camera.run())
    await frames(camera, 1)
    started = time.monotonic()
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled() and threads_named("sim-camera") == []
    assert time.monotonic() - started < 0.5
    await camera.close()  # idempotent, also after run ended


async def test_probe_before_streaming_and_face_shape() -> None:
    camera, _, _ = make_camera(SimFaceCamera, width=64, height=64, fps=50)
    assert (await camera.probe()).state is HealthState.DEGRADED
    async with running(camera):
        assert (await camera.probe()).state is HealthState.ONLINE
        (frame,) = await frames(camera, 1)
    disc_colour = frame.image[32, 16:48].reshape(-1, 3)
    assert (disc_colour == (200, 180, 160)).all(axis=1).sum() >= 8
