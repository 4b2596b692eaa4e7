"""Simulated cameras: a video file played (looped), or synthetic frames.

Two kinds share this code: ``sim.face_camera`` (at a gate, looking at faces;
its synthetic frames show a moving disc) and ``sim.facade_camera`` (on a
façade; a moving box). With ``video`` set the camera plays that file at its
own rate (or ``fps``); without, it draws the shape on noise at
``width`` x ``height``, ``fps`` or 10 a second.

Each camera runs ONE capture thread (``sim-camera:<id>``) while ``run`` is
going, the real cameras' :class:`~drivers.camera.capture.FrameCapture`: OpenCV
blocks, so it never runs on the event loop. The thread opens the source, paces
the frames, stamps them with ``self.clock`` (so the clock's ``now`` and
``monotonic`` are also read from that thread) and puts them in a bounded
buffer that drops the oldest frame when full. It stops within a frame
period of ``close()``, cancellation or unplugging.

Frames reach one consumer by pulling::

    frame = await camera.next_frame(timeout=1.0)  # the oldest buffered Frame, or None
    frame = await camera.next_frame(timeout=1.0, newest=True)  # the newest; the older ones discarded

(a Frame's ``detail`` is always None here: a simulated camera has no sub-stream).
The face camera also has ``gate`` and ``roi`` (:mod:`drivers.capabilities.face_camera`).

A consumer that falls behind loses the oldest frames, which are counted.
Every ``stats_interval_s`` the camera emits CameraStreamStats for the
interval: frames captured, frames dropped, fps. ``probe`` says DEGRADED when
no frame came for ``stall_after_s`` (e.g. a video that ended with ``loop``
off). A missing or unreadable video makes ``run`` raise DriverError.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import cv2
import numpy as np
from pydantic import Field

from drivers.base import Clock, DriverConfig, DriverError, Emit, HealthState, Probe
from drivers.camera.capture import FrameCapture
from drivers.camera.sources import FrameSource, VideoFile
from drivers.capabilities import FacadeFeed, FaceFeed, FrameFeed
from drivers.capabilities.facade_camera import FacadeCameraSettings
from drivers.capabilities.face_camera import FaceCameraSettings
from drivers.capabilities.frame import Frame
from drivers.sim import SimDriver

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


class SimFaceCameraConfig(FaceCameraSettings, SimCameraConfig):
    kind: Literal["sim.face_camera"] = "sim.face_camera"


class SimFacadeCameraConfig(FacadeCameraSettings, SimCameraConfig):
    kind: Literal["sim.facade_camera"] = "sim.facade_camera"


class SyntheticScene:
    """A disc or box gliding to and fro over noise, at ``fps``."""

    def __init__(self, width: int, height: int, shape: str, fps: float) -> None:
        self._width, self._height, self._shape, self._fps = width, height, shape, fps
        self._rng = np.random.default_rng(0)
        self._step = -1

    def open(self) -> float | None:
        return self._fps

    def grab(self) -> bool:
        self._step += 1
        return True

    def retrieve(self) -> np.ndarray:
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
        return image

    def close(self) -> None:
        pass


class SimCamera(SimDriver, FrameFeed):
    """Shared code of the simulated cameras; see the module docs. Not a device kind itself."""

    config: SimCameraConfig
    shape: ClassVar[str] = "box"

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        super().__init__(config, emit, clock)
        self.capture = FrameCapture(
            f"sim-camera:{self.device_id}", self.clock, self.config.buffer_frames, on_end=self._wake.set
        )

    async def next_frame(
        self, timeout: float | None = None, *, newest: bool = False  # noqa: ASYNC109 (on self.clock)
    ) -> Frame | None:
        """The oldest buffered frame (``newest``: the newest, the older ones discarded); waits up to
        ``timeout`` s on the clock for one (None: forever), else None."""
        return await self.capture.next_frame(timeout, newest=newest)

    @property
    def declared_fps(self) -> float | None:
        return self.config.fps

    async def run(self) -> None:
        await self.capture.stop()  # in case an earlier run could not wait for its thread
        self._raise_if_failed()
        self.capture.start(self._source())
        self._schedule("stats", self.config.stats_interval_s, self._report_stats)
        try:
            await self._run_timeline()
        finally:
            self._cancel("stats")
            await self.capture.stop()

    async def probe(self) -> Probe:
        probe = await super().probe()
        if probe.state is not HealthState.ONLINE:
            return probe
        last = self.capture.last_frame_at if self.capture.last_frame_at is not None else self.capture.started_at
        if last is None:
            return Probe(HealthState.DEGRADED, "not streaming")
        if self.clock.monotonic() - last >= self.config.stall_after_s:  # a steady reason: no new event per probe
            return Probe(HealthState.DEGRADED, f"no frame for {self.config.stall_after_s:g} s or more")
        return probe

    async def close(self) -> None:
        await self.capture.stop()

    def _raise_if_failed(self) -> None:
        super()._raise_if_failed()
        if self.capture.error is not None:
            raise DriverError(self.capture.error)

    async def _report_stats(self) -> None:
        self._schedule("stats", self.config.stats_interval_s, self._report_stats)
        await self.emit(self.capture.take_stats())

    def _source(self) -> FrameSource:
        if self.config.video is not None:
            return VideoFile(self.config.video, self.config.loop, self.config.fps)
        return SyntheticScene(self.config.width, self.config.height, self.shape, self.config.fps or DEFAULT_FPS)


class SimFaceCamera(SimCamera, FaceFeed):
    config_model = SimFaceCameraConfig
    config: SimFaceCameraConfig
    shape: ClassVar[str] = "disc"


class SimFacadeCamera(SimCamera, FacadeFeed):
    config_model = SimFacadeCameraConfig
    shape: ClassVar[str] = "box"
