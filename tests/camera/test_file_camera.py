"""camera.face / camera.facade on video files and devices: frames, the fps limit on the clock, drops, sub-streams."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from drivers.base import DriverError, HealthState, Probe
from drivers.camera.config import FacadeCameraConfig, FaceCameraConfig
from drivers.camera.driver import Camera, FacadeCamera, FaceCamera
from drivers.events import CameraStreamStats
from tests.camera.conftest import MakeVideo
from tests.drivers.fakes import EventSink, eventually, running, threads_named
from tests.fakes import FakeClock


def make_camera(url: str | Path, clock: FakeClock | None = None, **settings: object) -> tuple[Camera, EventSink]:
    sink = EventSink()
    return FaceCamera(FaceCameraConfig(id="cam", url=str(url), **settings), sink, clock or FakeClock()), sink


async def test_plays_a_file_as_a_camera(clip: Path) -> None:
    clock = FakeClock()
    camera, _ = make_camera(clip, clock)
    async with running(camera):
        assert threads_named("camera:cam") != []
        frames = [await camera.next_frame(timeout=0) for _ in range(1)]
        frames += [await camera.next_frame() for _ in range(2)]  # the file plays at 25 fps, in real time
        assert await camera.probe() == Probe(HealthState.ONLINE)
    assert [f.index for f in frames if f] == [0, 1, 2]
    for frame in frames:
        assert frame is not None and frame.image.shape == (120, 160, 3) and frame.detail is None
        assert frame.detail_scale == (1.0, 1.0) and frame.wall == clock.now()
    assert await camera.probe() == Probe(HealthState.DEGRADED, "not streaming")


async def wait_until_skipped(camera: Camera, skipped: int) -> None:
    """The file delivered another frame, which the fps limit skipped."""
    await eventually(lambda: camera.capture.skipped > skipped)


async def test_fps_limit_keeps_one_frame_per_period_of_the_clock(clip: Path) -> None:
    clock = FakeClock()
    camera, _ = make_camera(clip, clock, fps=5, buffer_frames=16)
    async with running(camera):
        for kept in range(1, 5):
            await wait_until_skipped(camera, camera.capture.skipped)
            assert camera.capture.delivered == kept  # the clock stands still: every later frame is skipped
            await clock.advance(0.1)
            await wait_until_skipped(camera, camera.capture.skipped)
            assert camera.capture.delivered == kept  # half a period is not enough
            await clock.advance(0.1)
            await eventually(lambda: camera.capture.delivered == kept + 1)  # noqa: B023 - awaited here
        frames = [await camera.next_frame(timeout=0) for _ in range(6)]
    assert [f.monotonic for f in frames if f] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert frames[5] is None


async def test_full_buffer_drops_the_oldest_and_stats_count_it(clip: Path) -> None:
    clock = FakeClock()
    camera, sink = make_camera(clip, clock, fps=1, buffer_frames=2, stats_interval_s=10, watchdog_s=60)
    async with running(camera):
        for kept in range(1, 5):
            await wait_until_skipped(camera, camera.capture.skipped)
            await clock.advance(1)
            await eventually(lambda: camera.capture.delivered == kept + 1)  # noqa: B023 - awaited here
        kept_frames = [await camera.next_frame(timeout=0) for _ in range(3)]
        assert sink.events == []
        await clock.advance(6)
    assert [f.index for f in kept_frames if f] == [3, 4] and kept_frames[2] is None
    (stats,) = sink.of(CameraStreamStats)
    assert (stats.frames, stats.dropped, stats.fps) == (5, 3, 0.5)


async def test_newest_skips_the_older_buffered_frames(clip: Path) -> None:
    clock = FakeClock()
    camera, sink = make_camera(clip, clock, fps=1, buffer_frames=8, stats_interval_s=10, watchdog_s=60)
    async with running(camera):
        for kept in range(1, 3):
            await wait_until_skipped(camera, camera.capture.skipped)
            await clock.advance(1)
            await eventually(lambda: camera.capture.delivered == kept + 1)  # noqa: B023 - awaited here
        newest = await camera.next_frame(timeout=0, newest=True)
        assert await camera.next_frame(timeout=0, newest=True) is None
        await clock.advance(8)
    assert newest is not None and newest.index == 2
    (stats,) = sink.of(CameraStreamStats)
    assert (stats.frames, stats.dropped) == (3, 0)  # skipped by the consumer is not dropped


async def test_sub_stream_frames_carry_the_main_streams_image(make_video: MakeVideo) -> None:
    main = make_video("main.avi", 320, 240)
    sub = make_video("sub.avi", 160, 120)
    camera, _ = make_camera(main, sub_url=str(sub))
    async with running(camera):
        assert {t.name for t in threads_named("camera:cam")} == {"camera:cam", "camera:cam:main"}
        frames = [await camera.next_frame() for _ in range(3)]
    for frame in frames:
        assert frame is not None and frame.image.shape == (120, 160, 3)
        assert frame.detail is not None and frame.detail.shape == (240, 320, 3)
        assert frame.detail_scale == (2.0, 2.0)


async def test_a_missing_file_fails_connect_and_leaves_nothing_behind(tmp_path: Path, make_video: MakeVideo) -> None:
    camera, _ = make_camera(tmp_path / "nope.avi")
    with pytest.raises(DriverError, match="video not found"):
        await camera.connect()
    assert threads_named("camera:") == []
    await camera.close()
    camera, _ = make_camera(make_video("main.avi"), sub_url=str(tmp_path / "nope.avi"))
    with pytest.raises(DriverError, match="video not found"):
        await camera.connect()
    await camera.close()


async def test_an_unreadable_file_or_absent_usb_camera_fails_connect(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00not a video" * 100)
    for url, reason in [(garbage, "garbage.avi"), ("usb:9", "cannot open usb:9"), ("/dev/video9", "cannot open")]:
        camera, _ = make_camera(url)
        with pytest.raises(DriverError, match=reason):
            await camera.connect()
        await camera.close()


async def test_a_camera_that_never_answers_times_out_on_open(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (in the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/cam.mjpg"
        camera = FacadeCamera(FacadeCameraConfig(id="cam", url=url, open_timeout_s=0.5), EventSink())
        with pytest.raises(DriverError, match=f"{url}"):
            await camera.connect()
        await camera.close()


async def test_run_without_a_stream_fails_at_once() -> None:
    camera, _ = make_camera("unused.avi")
    with pytest.raises(DriverError, match="ended"):
        await camera.run()
