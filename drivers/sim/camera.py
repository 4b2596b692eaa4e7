"""Simulated cameras: a video file played (looped), or synthetic frames.

Two kinds share this code: ``sim.face_camera`` (at a gate, looking at faces;
its synthetic frames show a moving disc) and ``sim.facade_camera`` (on a
façade; a moving box). With ``video`` set the camera plays that file at its
own rate (or ``fps``); without, it draws the shape on noise at
``width`` x ``height``, ``fps`` or 10 a second.

Each camera runs ONE capture thread while ``run`` is going: OpenCV blocks,
so it never runs on the event loop. The thread opens the source, paces the
frames, stamps them with ``self.clock`` (so the clock's ``now`` and
``monotonic`` are also read from that thread) and puts them in a bounded
buffer that drops the oldest frame when full. It stops within a frame
period of ``close()``, cancellation or unplugging.

Frames reach one consumer by pulling::

    frame = await camera.next_frame(timeout=1.0)  # the oldest buffered Frame, or None

A consumer that falls behind loses the oldest frames, which are counted.
Every ``stats_interval_s`` the camera emits CameraStreamStats for the
interval: frames captured, frames dropped, fps. ``probe`` says DEGRADED when
no frame came for ``stall_after_s`` (e.g. a video that ended with ``loop``
off). A missing or unreadable video makes ``run`` raise DriverError.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal, Protocol

import cv2
import numpy as np
from pydantic import Field

from drivers.base import Clock, DriverConfig, DriverError, Emit, HealthState, Probe
from drivers.events import CameraStreamStats
from drivers.sim import SimDriver
from drivers.timing import wait_event

DEFAULT_FPS = 10.0


class SimCameraConfig(DriverConfig):
    """Settings both simulated cameras share."""

    video: Path | None = Field(
        None, title="Video file", description="Played instead of synthetic frames. Empty: a moving shape on noise.",
    )
    loop: bool = Field(True, title="Loop the video", description="Off: the camera stalls when the video ends.")
    fps: float | None = Field(
        None, gt=0, le=120, title="Frames per second", description="Empty: the video's own rate, or 10.",
    )
    width: int = Field(640, ge=32, le=3840, title="Width (px)", description="Of synthetic frames.")
    height: int = Field(480, ge=32, le=2160, title="Height (px)", description="Of synthetic frames.")
    buffer_frames: int = Field(
        8, ge=1, le=256, title="Frame buffer",
        description="Frames kept for the consumer; when it is full the oldest is dropped.",
    )
    stats_interval_s: float = Field(60.0, ge=1, le=3600, title="Stream report every (s)")
    stall_after_s: float = Field(
        5.0, gt=0, le=600, title="Stalled after (s)", description="Without a frame this long the camera is degraded.",
    )


class SimFaceCameraConfig(SimCameraConfig):
    kind: Literal["sim.face_camera"] = "sim.face_camera"


class SimFacadeCameraConfig(SimCameraConfig):
    kind: Literal["sim.facade_camera"] = "sim.facade_camera"


@dataclass(frozen=True, slots=True)
class Frame:
    index: int  # counts up from 0 over the camera's life
    monotonic: float  # clock.monotonic() when captured
    wall: datetime  # clock.now() when captured
    image: np.ndarray  # BGR, height x width x 3, uint8


class FrameBuffer:
    """Frames waiting for the consumer, oldest first; drops the oldest when full. Thread-safe."""

    def __init__(self, size: int) -> None:
        self._frames: deque[Frame] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._captured = 0
        self._dropped = 0

    def push(self, frame: Frame) -> None:
        with self._lock:
            if len(self._frames) == self._frames.maxlen:
                self._dropped += 1
            self._frames.append(frame)
            self._captured += 1

    def pop(self) -> Frame | None:
        with self._lock:
            return self._frames.popleft() if self._frames else None

    def take_counts(self) -> tuple[int, int]:
        """Frames captured and dropped since the last call."""
        with self._lock:
            counts = (self._captured, self._dropped)
            self._captured = self._dropped = 0
            return counts


class FrameSource(Protocol):
    """Where a capture thread gets images; every method is called from that thread only."""

    def open(self) -> float | None: ...  # its own frame rate, if it has one

    def read(self) -> np.ndarray | None: ...  # None: no more frames

    def close(self) -> None: ...


class VideoFile:
    def __init__(self, path: Path, loop: bool) -> None:
        self._path, self._loop = path, loop
        self._capture: cv2.VideoCapture | None = None
        self._read_any = False

    def open(self) -> float | None:
        if not self._path.is_file():
            raise DriverError(f"video not found: {self._path}")
        self._capture = cv2.VideoCapture(str(self._path))
        if not self._capture.isOpened():
            raise DriverError(f"cannot open video {self._path}")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        return fps if 0 < fps < 1000 else None

    def read(self) -> np.ndarray | None:
        assert self._capture is not None, "open() first"
        ok, image = self._capture.read()
        if not ok and self._loop and self._read_any:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok and not self._read_any:
            raise DriverError(f"no readable frames in {self._path}")
        self._read_any = self._read_any or ok
        return image if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class SyntheticScene:
    """A disc or box gliding to and fro over noise."""

    def __init__(self, width: int, height: int, shape: str) -> None:
        self._width, self._height, self._shape = width, height, shape
        self._rng = np.random.default_rng(0)
        self._step = 0

    def open(self) -> float | None:
        return None

    def read(self) -> np.ndarray | None:
        w, h = self._width, self._height
        image = self._rng.integers(0, 48, size=(h, w, 3), dtype=np.uint8)
        size = max(4, min(w, h) // 4)
        travel = w - 2 * size
        offset = (self._step * 8) % (2 * travel) if travel > 0 else 0
        x = size + (offset if offset <= travel else 2 * travel - offset)
        if self._shape == "disc":
            cv2.circle(image, (x, h // 2), size, (200, 180, 160), thickness=-1)
        else:
            cv2.rectangle(image, (x - size, h // 2 - size), (x + size, h // 2 + size), (60, 160, 220), thickness=-1)
        self._step += 1
        return image

    def close(self) -> None:
        pass


class SimCamera(SimDriver):
    """Shared code of the simulated cameras; see the module docs. Not a device kind itself."""

    config: SimCameraConfig
    shape: ClassVar[str] = "box"

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        super().__init__(config, emit, clock)
        self._buffer = FrameBuffer(self.config.buffer_frames)
        self._frame_ready = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_done = asyncio.Event()
        self._capture_error: str | None = None
        self._next_index = 0
        self._last_frame_at: float | None = None  # monotonic, written by the capture thread
        self._stream_started_at: float | None = None
        self._stats_since = 0.0

    async def next_frame(self, timeout: float | None = None) -> Frame | None:  # noqa: ASYNC109 (on self.clock)
        """The oldest buffered frame; waits up to ``timeout`` s on the clock (None: forever), else None."""
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            self._frame_ready.clear()
            frame = self._buffer.pop()
            if frame is not None:
                return frame
            remaining = None if deadline is None else deadline - self.clock.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            await wait_event(self._frame_ready, self.clock, remaining)

    async def run(self) -> None:
        await self._stop_capture()  # in case an earlier run could not wait for its thread
        self._raise_if_failed()
        self._stats_since = self.clock.monotonic()
        self._buffer.take_counts()  # the stats cover this stream only: reset before it starts
        self._start_capture()
        self._schedule("stats", self.config.stats_interval_s, self._report_stats)
        try:
            await self._run_timeline()
        finally:
            self._cancel("stats")
            await self._stop_capture()

    async def probe(self) -> Probe:
        probe = await super().probe()
        if probe.state is not HealthState.ONLINE:
            return probe
        last = self._last_frame_at if self._last_frame_at is not None else self._stream_started_at
        if last is None:
            return Probe(HealthState.DEGRADED, "not streaming")
        if self.clock.monotonic() - last >= self.config.stall_after_s:  # a steady reason: no new event per probe
            return Probe(HealthState.DEGRADED, f"no frame for {self.config.stall_after_s:g} s or more")
        return probe

    async def close(self) -> None:
        await self._stop_capture()

    def _raise_if_failed(self) -> None:
        super()._raise_if_failed()
        if self._capture_error is not None:
            raise DriverError(self._capture_error)

    async def _report_stats(self) -> None:
        self._schedule("stats", self.config.stats_interval_s, self._report_stats)
        now = self.clock.monotonic()
        elapsed, self._stats_since = now - self._stats_since, now
        frames, dropped = self._buffer.take_counts()
        fps = round(frames / elapsed, 2) if elapsed > 0 else 0.0
        await self.emit(CameraStreamStats(frames=frames, dropped=dropped, fps=fps, occurred_at=self.clock.now()))

    # --- the capture thread ---------------------------------------------------

    def _source(self) -> FrameSource:
        if self.config.video is not None:
            return VideoFile(self.config.video, self.config.loop)
        return SyntheticScene(self.config.width, self.config.height, self.shape)

    def _start_capture(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop.clear()
        self._thread_done.clear()
        self._capture_error = None
        self._last_frame_at, self._stream_started_at = None, self.clock.monotonic()
        self._thread = threading.Thread(
            target=self._capture, args=(self._source(), loop), name=f"sim-camera:{self.device_id}", daemon=True
        )
        self._thread.start()

    async def _stop_capture(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        await self._thread_done.wait()
        thread.join()  # it has signalled its last act; this returns at once
        if self._thread is thread:
            self._thread = None
            self._capture_error = None  # run() has raised it; the next run tries afresh

    def _capture(self, source: FrameSource, loop: asyncio.AbstractEventLoop) -> None:
        """The capture thread: open the source, then read, stamp and buffer frames at the frame rate."""
        try:
            native_fps = source.open()
            period = 1.0 / (self.config.fps or native_fps or DEFAULT_FPS)
            due = time.monotonic()
            while not self._stop.is_set():
                image = source.read()
                if image is None:
                    break  # the video ended and does not loop: the stream stalls
                self._deliver(image, loop)
                due += period
                delay = due - time.monotonic()
                if delay < -period:  # fell behind: carry on from now rather than rush
                    due, delay = time.monotonic(), 0.0
                self._stop.wait(max(0.0, delay))
        except Exception as exc:  # handed to run(), which raises it as DriverError
            self._capture_error = str(exc) or type(exc).__name__
        finally:
            source.close()
            _call_soon(loop, self._thread_finished)

    def _deliver(self, image: np.ndarray, loop: asyncio.AbstractEventLoop) -> None:
        frame = Frame(self._next_index, self.clock.monotonic(), self.clock.now(), image)
        self._next_index += 1
        self._buffer.push(frame)
        self._last_frame_at = frame.monotonic
        _call_soon(loop, self._frame_ready.set)

    def _thread_finished(self) -> None:
        self._thread_done.set()
        self._wake.set()


class SimFaceCamera(SimCamera):
    config_model = SimFaceCameraConfig
    shape: ClassVar[str] = "disc"


class SimFacadeCamera(SimCamera):
    config_model = SimFacadeCameraConfig
    shape: ClassVar[str] = "box"


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` from the capture thread; a closed loop has nobody to tell."""
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:
        pass
