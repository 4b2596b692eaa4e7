"""One camera's capture thread, and the event loop's side of it.

OpenCV blocks, so a :class:`FrameCapture` reads its :class:`FrameSource` on
ONE thread (named as the caller says, e.g. ``camera:<device id>``), never on
the event loop. The thread opens the source, reads it (pacing a file at its
rate), lets at most ``limit_fps`` frames a second through by the driver's
clock (:class:`FrameRateLimit`; the others are grabbed but never decoded or
buffered, and counted as skipped), stamps the frames with the clock (so its
``now`` and ``monotonic`` are also read from that thread) and puts them in a
bounded :class:`FrameBuffer` that drops the oldest when full. With a
:class:`DetailStream` each frame also gets the main stream's image.

Frames reach one consumer by pulling::

    frame = await capture.next_frame(timeout=1.0)  # the oldest buffered Frame, or None
    frame = await capture.next_frame(timeout=1.0, newest=True)  # the newest; older ones discarded

The thread ends when the source has no more frames, fails (``error`` says
why, until the next ``stop``) or is stopped; ``on_end`` is then called on the
loop. ``stop`` returns once the thread is gone: promptly, or after the
source's own read timeout if it is blocked in OpenCV.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np

from drivers.base import Clock
from drivers.camera.detail import DetailStream
from drivers.camera.frame import FrameBuffer
from drivers.camera.sources import FrameSource, Pacer
from drivers.capabilities.frame import Frame
from drivers.events import CameraStreamStats
from drivers.timing import wait_event


class FrameRateLimit:
    """Lets through at most ``fps`` frames a second of clock time, evenly; None lets every frame through.

    The schedule carries on from frame to frame, so a 25 fps camera limited to
    10 gives 10 (not the 8.3 of "at least 0.1 s since the last one"); after a
    gap longer than a period it starts afresh.
    """

    _SLACK_S = 1e-6  # float rounding must not skip a frame that is exactly on time

    def __init__(self, fps: float | None) -> None:
        self._period = 1.0 / fps if fps else 0.0
        self._due: float | None = None

    def admit(self, now: float) -> bool:
        if self._due is not None and now + self._SLACK_S < self._due:
            return False
        if self._due is None or self._due + self._period <= now:
            self._due = now + self._period
        else:
            self._due += self._period
        return True


class FrameCapture:
    def __init__(
        self,
        thread_name: str,
        clock: Clock,
        buffer_frames: int,
        *,
        limit_fps: float | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.thread_name = thread_name
        self.clock = clock
        self.buffer = FrameBuffer(buffer_frames)
        self._limit_fps = limit_fps
        self._on_end = on_end
        self._frame_ready = asyncio.Event()
        self._settled = asyncio.Event()  # the stream's first frame came, or the thread ended
        self._done = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_index = 0
        self.error: str | None = None  # why the thread ended, if it failed; cleared by stop()
        self.started_at: float | None = None  # monotonic, when the stream was started
        self.last_frame_at: float | None = None  # monotonic, of the last frame read (even if skipped)
        self.delivered = 0  # frames buffered since start(), written by the capture thread
        self.skipped = 0  # frames over the fps limit since start(), written by the capture thread
        self._stats_since = 0.0

    @property
    def running(self) -> bool:
        """Whether a capture thread was started and has not ended yet."""
        return self._thread is not None and not self._done.is_set()

    def start(self, source: FrameSource, detail: DetailStream | None = None) -> None:
        """Start the capture thread (call it on the event loop, after :meth:`stop`)."""
        assert self._thread is None, "stop() the running capture first"
        loop = asyncio.get_running_loop()
        self._stop.clear()
        self._done.clear()
        self._settled.clear()
        self.error = None
        self.started_at, self.last_frame_at = self.clock.monotonic(), None
        self.delivered = self.skipped = 0
        self._stats_since = self.started_at
        self.buffer.take_counts()  # the stats cover this stream only
        self._thread = threading.Thread(
            target=self._capture, args=(source, detail, loop), name=self.thread_name, daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        """Stop the thread and wait until it is gone; clears ``error``. Idempotent."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        await self._done.wait()
        thread.join()  # it has signalled its last act; this returns at once
        if self._thread is thread:
            self._thread = None
            self.error = None

    async def next_frame(
        self, timeout: float | None = None, *, newest: bool = False  # noqa: ASYNC109 (on self.clock)
    ) -> Frame | None:
        """The oldest buffered frame (``newest``: the newest, the older ones discarded); waits up to
        ``timeout`` s on the clock for one (None: forever), else None."""
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            self._frame_ready.clear()
            frame = self.buffer.pop_newest() if newest else self.buffer.pop()
            if frame is not None:
                return frame
            remaining = None if deadline is None else deadline - self.clock.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            await wait_event(self._frame_ready, self.clock, remaining)

    async def first_frame(self, timeout: float) -> bool:  # noqa: ASYNC109 (on self.clock)
        """Wait up to ``timeout`` s on the clock for the stream's first frame; whether it came."""
        await wait_event(self._settled, self.clock, timeout)
        return self.last_frame_at is not None

    async def wait_end(self, timeout: float | None) -> bool:  # noqa: ASYNC109 (on self.clock)
        """Wait up to ``timeout`` s on the clock for the thread to end; whether it has."""
        return await wait_event(self._done, self.clock, timeout)

    def take_stats(self) -> CameraStreamStats:
        """Frames delivered and dropped since the last call (or start), and their rate."""
        now = self.clock.monotonic()
        elapsed, self._stats_since = now - self._stats_since, now
        frames, dropped = self.buffer.take_counts()
        fps = round(frames / elapsed, 2) if elapsed > 0 else 0.0
        return CameraStreamStats(frames=frames, dropped=dropped, fps=fps, occurred_at=self.clock.now())

    # --- the capture thread ---------------------------------------------------

    def _capture(self, source: FrameSource, detail: DetailStream | None, loop: asyncio.AbstractEventLoop) -> None:
        try:
            rate = source.open()
            if detail is not None:
                detail.start()
            self._read(source, detail, Pacer(rate, self._stop), loop)
        except Exception as exc:  # the driver raises it as DriverError
            self.error = str(exc) or type(exc).__name__
        finally:
            try:
                if detail is not None:
                    detail.stop()
            finally:
                source.close()
                _call_soon(loop, self._thread_finished)

    def _read(
        self, source: FrameSource, detail: DetailStream | None, pacer: Pacer, loop: asyncio.AbstractEventLoop
    ) -> None:
        limit = FrameRateLimit(self._limit_fps)
        while not self._stop.is_set():
            if not source.grab():
                return  # a video that ended and does not loop: the stream stalls
            now = self.clock.monotonic()
            if limit.admit(now):
                image = source.retrieve()
                self._deliver(now, image, detail.fetch() if detail is not None else None, loop)
            else:
                self.skipped += 1
                self.last_frame_at = now
            pacer.wait()

    def _deliver(
        self, now: float, image: np.ndarray, detail: np.ndarray | None, loop: asyncio.AbstractEventLoop
    ) -> None:
        frame = Frame(self._next_index, now, self.clock.now(), image, detail)
        self._next_index += 1
        self.buffer.push(frame)
        self.delivered += 1
        first = self.last_frame_at is None
        self.last_frame_at = now
        _call_soon(loop, self._frame_ready.set)
        if first:
            _call_soon(loop, self._settled.set)

    def _thread_finished(self) -> None:
        self._done.set()
        self._settled.set()
        if self._on_end is not None:
            self._on_end()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` from the capture thread; a closed loop has nobody to tell."""
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:
        pass
