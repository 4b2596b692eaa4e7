"""The main stream of a camera that also has a sub-stream, read on a thread of its own.

Detection runs on the sub-stream; face crops want the main stream's full
resolution. Reading both on one thread would tie the faster stream to the
slower one (frames would pile up in the socket and lag), so the main stream
gets its own thread, ``<capture thread>:main``. It grabs every frame (the
decoder needs them all) but converts one to BGR only when the capture thread
asks (:meth:`DetailStream.fetch`, once per delivered frame): the image it gets
was taken just after the sub-stream's frame, within one main-stream frame.

The capture thread owns it: ``start`` (opens the stream, in the capture
thread), ``fetch``, ``stop`` (joins its thread). A failure of the main stream
is raised by the next ``fetch``, so it fails the capture like one of the sub-stream.
"""

from __future__ import annotations

import threading

import numpy as np

from drivers.base import DriverError
from drivers.camera.sources import FrameSource, Pacer

FETCH_WAIT_S = 0.5  # how long fetch waits for a fresh image before it settles for the latest


class DetailStream:
    def __init__(self, source: FrameSource, thread_name: str) -> None:
        self._source = source
        self._thread_name = thread_name
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wanted = False  # the capture thread waits for the next grabbed image
        self._latest: np.ndarray | None = None
        self._error: str | None = None

    def start(self) -> None:
        """Open the stream (blocking, in the calling thread), then grab it on a thread of its own."""
        try:
            rate = self._source.open()
        except BaseException:
            self._source.close()
            raise
        self._thread = threading.Thread(target=self._grab_frames, args=(rate,), name=self._thread_name, daemon=True)
        self._thread.start()

    def fetch(self) -> np.ndarray | None:
        """An image grabbed after this call (or the latest, after FETCH_WAIT_S); None before the first."""
        with self._changed:
            self._wanted = True
            self._changed.wait_for(lambda: not self._wanted or self._error is not None, FETCH_WAIT_S)
            self._wanted = False
            if self._error is not None:
                raise DriverError(self._error)
            return self._latest

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _grab_frames(self, rate: float | None) -> None:
        pacer = Pacer(rate, self._stop)
        try:
            while not self._stop.is_set():
                if not self._source.grab():
                    raise DriverError("the main stream ended")
                with self._changed:
                    wanted = self._wanted
                if wanted:
                    self._publish(self._source.retrieve())
                pacer.wait()
        except Exception as exc:
            with self._changed:
                self._error = str(exc) or type(exc).__name__
                self._changed.notify_all()
        finally:
            self._source.close()

    def _publish(self, image: np.ndarray) -> None:
        with self._changed:
            self._latest, self._wanted = image, False
            self._changed.notify_all()
