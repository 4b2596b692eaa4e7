"""A real HTTP MJPEG camera (ffmpeg) through the real supervisor: frames, dying, hanging, coming back, secrets."""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from structlog.testing import capture_logs

from drivers.base import DriverError, HealthState
from drivers.camera.config import FacadeCameraConfig, FaceCameraConfig
from drivers.camera.driver import Camera, FacadeCamera, FaceCamera
from drivers.peers.mjpeg_camera import MjpegCamera
from edge.config.model import SupervisorConfig
from edge.daemon.health import HealthBoard
from edge.daemon.supervisor import DeviceSupervisor
from edge.recording import EventRecorder
from tests.camera.conftest import MakeVideo
from tests.drivers.fakes import EventSink, running
from tests.fakes import wait_until

WATCHDOG_S = 1.0
SETTINGS = SupervisorConfig(backoff_initial_s=0.05, backoff_max_s=0.2, probe_interval_s=60, connect_timeout_s=5)


@asynccontextmanager
async def supervised(camera: Camera, recorder: EventRecorder) -> AsyncIterator[DeviceSupervisor]:
    """The camera under a real DeviceSupervisor on the real clock, until the block ends."""
    health = HealthBoard().register(camera.device_id, camera.config.kind, "", camera.clock.now())
    supervisor = DeviceSupervisor(camera, health, recorder, SETTINGS, camera.clock, random.Random(3))
    async with asyncio.TaskGroup() as group:
        task = group.create_task(supervisor.run())
        try:
            yield supervisor
        finally:
            task.cancel()


def facade_camera(url: str, recorder: EventRecorder, **settings: object) -> Camera:
    config = FacadeCameraConfig(id="cam", url=url, watchdog_s=WATCHDOG_S, open_timeout_s=2, **settings)
    return FacadeCamera(config, recorder.emitter_for("cam"))


def seen(recorder: EventRecorder) -> list[tuple[str, str]]:
    return [(e.type, e.data.get("reason", "")) for e in recorder.seen if e.type.startswith("device.")]  # type: ignore[attr-defined]


async def recorded(recorder: EventRecorder, *types: str, timeout: float = 5.0) -> None:
    """Wait until the supervisor has recorded these health events (it sets the state just before)."""
    await wait_until(lambda: [t for t, _ in seen(recorder)] == list(types), timeout)


async def test_frames_arrive_over_http(http_camera: MjpegCamera) -> None:
    camera = FacadeCamera(FacadeCameraConfig(id="cam", url=http_camera.url, open_timeout_s=2), EventSink())
    async with running(camera):
        async with asyncio.timeout(3):
            frames = [await camera.next_frame() for _ in range(5)]
    assert [f.index for f in frames if f] == [0, 1, 2, 3, 4]
    assert all(f is not None and f.image.shape == (120, 160, 3) and f.detail is None for f in frames)
    stamps = [f.monotonic for f in frames if f]
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]


async def test_a_dead_camera_goes_offline_and_comes_back(http_camera: MjpegCamera, recorder: EventRecorder) -> None:
    camera = facade_camera(http_camera.url, recorder)
    async with supervised(camera, recorder) as supervisor:
        await recorded(recorder, "device.online")
        first = await camera.next_frame(timeout=2)
        await http_camera.stop()
        killed = time.monotonic()
        await recorded(recorder, "device.online", "device.offline", timeout=WATCHDOG_S + 2)
        assert time.monotonic() - killed <= WATCHDOG_S + 0.5
        await http_camera.start()
        await recorded(recorder, "device.online", "device.offline", "device.online")
        again = await camera.next_frame(timeout=2)
    assert first is not None and again is not None and again.index > first.index
    assert supervisor.health.state is HealthState.ONLINE
    assert seen(recorder)[1][1] == f"lost the stream from {http_camera.url}"


async def test_a_hung_camera_trips_the_watchdog(http_camera: MjpegCamera, recorder: EventRecorder) -> None:
    camera = facade_camera(http_camera.url, recorder)
    async with supervised(camera, recorder):
        await recorded(recorder, "device.online")
        http_camera.freeze()  # the connection stays open, no frame comes
        frozen = time.monotonic()
        await recorded(recorder, "device.online", "device.offline", timeout=WATCHDOG_S + 2)
        assert WATCHDOG_S - 0.1 <= time.monotonic() - frozen <= WATCHDOG_S + 1
        await http_camera.restart()  # a frozen camera that is power-cycled
        await recorded(recorder, "device.online", "device.offline", "device.online")
        assert await camera.next_frame(timeout=2) is not None
    assert seen(recorder)[1][1] == f"no frame from {http_camera.url} for 1 s"


async def test_sub_stream_over_http_gives_main_stream_detail(make_video: MakeVideo) -> None:
    async with MjpegCamera(make_video("main.avi", 320, 240)) as main, MjpegCamera(make_video("sub.avi")) as sub:
        config = FaceCameraConfig(id="cam", url=main.url, sub_url=sub.url, open_timeout_s=2)
        camera = FaceCamera(config, EventSink())
        async with running(camera):
            async with asyncio.timeout(3):
                frames = [await camera.next_frame() for _ in range(3)]
    for frame in frames:
        assert frame is not None and frame.image.shape == (120, 160, 3)
        assert frame.detail is not None and frame.detail.shape == (240, 320, 3)


async def test_credentials_never_reach_logs_events_or_errors(
    http_camera: MjpegCamera, recorder: EventRecorder, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    password, user = "Se@re7/pa55:word", "gatekeeper7"
    monkeypatch.setenv("EDGE_TEST_CAMERA_PASSWORD", password)
    url = http_camera.url.replace("http://", f"http://{user}@")
    camera = facade_camera(url, recorder, password_env="EDGE_TEST_CAMERA_PASSWORD")
    with capture_logs() as logs:
        async with supervised(camera, recorder) as supervisor:
            await recorded(recorder, "device.online")
            assert await camera.next_frame(timeout=2) is not None
            await http_camera.stop()
            await recorded(recorder, "device.online", "device.offline")
            await wait_until(lambda: supervisor.health.failures >= 3)  # and retried a few times
    masked = http_camera.url.replace("http://", "http://***@")
    assert seen(recorder) == [("device.online", ""), ("device.offline", f"lost the stream from {masked}")]
    assert supervisor.health.reason == f"cannot open {masked}"
    out, err = capfd.readouterr()
    everything = repr(logs) + repr(recorder.seen) + repr(supervisor.health) + out + err  # type: ignore[attr-defined]
    assert password not in everything and user not in everything
    assert "Se%40re7" not in everything  # nor the password as it goes in the URL


async def test_the_password_reaches_the_camera_as_http_basic(monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera that asks for credentials gets the user from the URL and the password from the environment."""
    monkeypatch.setenv("EDGE_TEST_CAMERA_PASSWORD", "Se@re7/pa55:word")
    sent: list[str] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        sent.extend(line.split()[-1] for line in head.split("\r\n") if line.lower().startswith("authorization: basic"))
        writer.write(b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="cam"\r\nContent-Length: 0\r\n\r\n')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    async with server:
        url = f"http://gatekeeper7@127.0.0.1:{server.sockets[0].getsockname()[1]}/cam.mjpg"
        config = FacadeCameraConfig(id="cam", url=url, password_env="EDGE_TEST_CAMERA_PASSWORD", open_timeout_s=2)
        camera = FacadeCamera(config, EventSink())
        with pytest.raises(DriverError) as failure:
            await camera.connect()
        await camera.close()
    assert [base64.b64decode(token) for token in sent] == [b"gatekeeper7:Se@re7/pa55:word"]
    assert str(failure.value) == f"cannot open {url.replace('gatekeeper7@', '***@')}"
