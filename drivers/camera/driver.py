"""The real cameras: ``camera.face`` (at a gate, looking at faces) and ``camera.facade`` (on a façade).

Life cycle under the supervisor:

* ``connect`` reads the password (``password_env``), starts the capture thread
  (:class:`~drivers.camera.capture.FrameCapture`, named ``camera:<id>``; with a
  ``sub_url`` the sub-stream feeds it and the main stream is read beside it,
  :class:`~drivers.camera.detail.DetailStream`) and returns once the first
  frame has come: only then is the camera online. No frame within
  ``open_timeout_s``, or a stream that cannot be opened, raises DriverError
  and leaves no thread behind.
* ``run`` is the watchdog: it raises DriverError when the stream ends or
  fails, or when no frame came for ``watchdog_s`` (network reads also time out
  after ``watchdog_s``, so a hung camera cannot hold its thread). The
  supervisor then marks the camera offline with that reason, backs off and
  reconnects. Every ``stats_interval_s`` it emits CameraStreamStats.
* ``next_frame(timeout, newest=False)`` hands the consumer the oldest (or the
  newest) buffered :class:`~drivers.camera.frame.Frame` (see :mod:`drivers.camera.capture`).

Every message names the URL masked: a user or password never reaches a log,
an event or an error.
"""

from __future__ import annotations

from typing import ClassVar

from drivers.base import Clock, DriverConfig, DriverError, Emit, HealthState, Probe
from drivers.camera.capture import FrameCapture
from drivers.camera.config import CameraConfig, FacadeCameraConfig, FaceCameraConfig
from drivers.camera.detail import DetailStream
from drivers.camera.sources import FrameSource, source_for
from drivers.camera.urls import masked, scrub, with_password
from drivers.capabilities import FacadeFeed, FaceFeed, FrameFeed
from drivers.capabilities.frame import Frame
from drivers.speaker.credentials import secret_from_env


class Camera(FrameFeed):
    """Shared code of the real cameras; see the module docs. Not a device kind itself."""

    config_model: ClassVar[type[DriverConfig]] = CameraConfig
    config: CameraConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        if not isinstance(config, self.config_model):
            raise TypeError(f"{type(self).__name__} needs a {self.config_model.__name__}, not {type(config).__name__}")
        super().__init__(config, emit, clock)
        self.capture = FrameCapture(
            f"camera:{self.device_id}", self.clock, self.config.buffer_frames, limit_fps=self.config.fps
        )
        self._urls: tuple[str, ...] = ()  # as opened, with the password: for scrubbing messages

    async def next_frame(
        self, timeout: float | None = None, *, newest: bool = False  # noqa: ASYNC109 (on self.clock)
    ) -> Frame | None:
        """The oldest buffered frame (``newest``: the newest, the older ones discarded); waits up to
        ``timeout`` s on the clock for one (None: forever), else None."""
        return await self.capture.next_frame(timeout, newest=newest)

    @property
    def declared_fps(self) -> float | None:
        return self.config.fps

    async def connect(self) -> None:
        await self.capture.stop()  # an earlier stream's thread, if close() could not wait for it
        main, sub = self._sources()
        try:
            if sub is None:
                self.capture.start(main)
            else:
                self.capture.start(sub, DetailStream(main, f"{self.capture.thread_name}:main"))
            if not await self.capture.first_frame(self.config.open_timeout_s):
                raise DriverError(self._scrub(self.capture.error or self._no_first_frame()))
        except BaseException:
            await self.capture.stop()
            raise

    async def run(self) -> None:
        try:
            await self._watch()
        finally:
            await self.capture.stop()

    async def probe(self) -> Probe:
        if not self.capture.running:
            return Probe(HealthState.DEGRADED, "not streaming")
        return Probe(HealthState.ONLINE)

    async def close(self) -> None:
        await self.capture.stop()

    def _sources(self) -> tuple[FrameSource, FrameSource | None]:
        """The main stream's source and the sub-stream's (None without one), the password merged in."""
        cfg = self.config
        password = secret_from_env(cfg.password_env, "password_env")
        self._urls = tuple(with_password(url, password) for url in (cfg.url, cfg.sub_url) if url)
        sources = [source_for(url, cfg.open_timeout_s, cfg.watchdog_s) for url in self._urls]
        return sources[0], (sources[1] if len(sources) > 1 else None)

    async def _watch(self) -> None:
        """Raise when the stream ends or stalls; report stats meanwhile."""
        clock, cfg = self.clock, self.config
        next_report = clock.monotonic() + cfg.stats_interval_s
        while True:
            if not self.capture.running:
                raise DriverError(self._scrub(self.capture.error or f"the stream from {self._name()} ended"))
            now = clock.monotonic()
            if now >= next_report:
                next_report = now + cfg.stats_interval_s
                await self.emit(self.capture.take_stats())
            last = self.capture.last_frame_at
            silent_s = now - (last if last is not None else now)
            if silent_s >= cfg.watchdog_s:
                raise DriverError(f"no frame from {self._name()} for {cfg.watchdog_s:g} s")
            await self.capture.wait_end(min(next_report - now, cfg.watchdog_s - silent_s))

    def _name(self) -> str:
        return masked(self.config.sub_url or self.config.url)

    def _no_first_frame(self) -> str:
        return f"no frame from {self._name()} within {self.config.open_timeout_s:g} s"

    def _scrub(self, text: str) -> str:
        return scrub(text, *self._urls, self.config.url, *([self.config.sub_url] if self.config.sub_url else []))


class FaceCamera(Camera, FaceFeed):
    config_model = FaceCameraConfig
    config: FaceCameraConfig


class FacadeCamera(Camera, FacadeFeed):
    config_model = FacadeCameraConfig
