"""Where a capture thread gets its images: a video file, or an OpenCV stream.

Every method of a :class:`FrameSource` is called from one capture thread, and
may block (OpenCV does). ``open`` says how fast the source should be read: a
file must be paced at its frame rate, a live camera paces itself (``None``).
Reading is split in two so that frames over the fps limit are only grabbed,
never decoded to BGR: ``grab`` moves to the next frame, ``retrieve`` decodes it.

:class:`OpenCvStream` opens network URLs with FFmpeg and its open and read
timeouts, so a dead camera fails a read within the timeout instead of hanging
its thread; USB cameras (``usb:N``, ``/dev/...``) with V4L2. Its errors name
the URL masked (:func:`~drivers.camera.urls.masked`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from drivers.base import DriverError
from drivers.camera.urls import is_network, masked, usb_device

DEFAULT_FPS = 10.0  # a video file that does not say its frame rate


class FrameSource(Protocol):
    def open(self) -> float | None:
        """Open it; the rate to read it at, or None if it delivers frames at its own pace (a live camera)."""
        ...

    def grab(self) -> bool:
        """Move to the next frame, waiting for it; False: there are no more. Raise DriverError if it failed."""
        ...

    def retrieve(self) -> np.ndarray:
        """The grabbed frame, BGR, height x width x 3, uint8."""
        ...

    def close(self) -> None: ...


class VideoFile:
    """A video file played at ``fps`` (default: its own rate), looped or once."""

    def __init__(self, path: Path, loop: bool, fps: float | None = None) -> None:
        self._path, self._loop, self._fps = path, loop, fps
        self._capture: cv2.VideoCapture | None = None
        self._read_any = False

    def open(self) -> float | None:
        if not self._path.is_file():
            raise DriverError(f"video not found: {self._path}")
        self._capture = cv2.VideoCapture(str(self._path))
        if not self._capture.isOpened():
            raise DriverError(f"cannot open video {self._path}")
        native = self._capture.get(cv2.CAP_PROP_FPS)
        return self._fps or (native if 0 < native < 1000 else DEFAULT_FPS)

    def grab(self) -> bool:
        assert self._capture is not None, "open() first"
        ok = self._capture.grab()
        if not ok and self._loop and self._read_any:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok = self._capture.grab()
        if not ok and not self._read_any:
            raise DriverError(f"no readable frames in {self._path}")
        self._read_any = self._read_any or ok
        return ok

    def retrieve(self) -> np.ndarray:
        assert self._capture is not None, "open() first"
        ok, image = self._capture.retrieve()
        if not ok:
            raise DriverError(f"cannot decode a frame of {self._path}")
        return image

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class OpenCvStream:
    """A live camera: RTSP or HTTP through FFmpeg (with timeouts), or a V4L2 device."""

    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float) -> None:
        self._url = url
        self._open_timeout_s, self._read_timeout_s = open_timeout_s, read_timeout_s
        self._capture: cv2.VideoCapture | None = None

    @property
    def name(self) -> str:
        return masked(self._url)

    def open(self) -> float | None:
        device = usb_device(self._url)
        if device is not None:
            self._capture = cv2.VideoCapture(device, cv2.CAP_V4L2)
        else:
            timeouts = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, round(self._open_timeout_s * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, round(self._read_timeout_s * 1000),
            ]
            self._capture = cv2.VideoCapture(self._url, cv2.CAP_FFMPEG, timeouts)
        if not self._capture.isOpened():
            raise DriverError(f"cannot open {self.name}")

    def grab(self) -> bool:
        assert self._capture is not None, "open() first"
        started = time.monotonic()
        if self._capture.grab():
            return True
        if is_network(self._url) and time.monotonic() - started >= 0.9 * self._read_timeout_s:
            raise DriverError(f"no frame from {self.name} for {self._read_timeout_s:g} s")
        raise DriverError(f"lost the stream from {self.name}")

    def retrieve(self) -> np.ndarray:
        assert self._capture is not None, "open() first"
        ok, image = self._capture.retrieve()
        if not ok:
            raise DriverError(f"cannot decode a frame from {self.name}")
        return image

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class Pacer:
    """Spaces reads ``1 / rate`` s apart in real time (a file played as a camera would send it); no-op for None.

    ``wait`` returns early once ``stop`` is set. A reader that fell more than a
    frame behind carries on from now rather than rush to catch up.
    """

    def __init__(self, rate: float | None, stop: threading.Event) -> None:
        self._period = 1.0 / rate if rate else None
        self._stop = stop
        self._due = time.monotonic()

    def wait(self) -> None:
        if self._period is None:
            return
        self._due += self._period
        delay = self._due - time.monotonic()
        if delay < -self._period:
            self._due, delay = time.monotonic(), 0.0
        self._stop.wait(max(0.0, delay))


def source_for(url: str, open_timeout_s: float, read_timeout_s: float) -> FrameSource:
    """The source ``url`` names: a live stream or device, else a video file played in a loop."""
    if is_network(url) or usb_device(url) is not None:
        return OpenCvStream(url, open_timeout_s, read_timeout_s)
    return VideoFile(Path(url), loop=True)
