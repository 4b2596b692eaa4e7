"""A captured frame, and the bounded buffer frames wait in for their one consumer.

A :class:`Frame` carries the image detection runs on (``image``) and, when the
camera has a sub-stream, the main stream's latest image (``detail``), taken
right after it: faces are found in the small image and cropped from the large
one, scaled by :attr:`Frame.detail_scale`.

The :class:`FrameBuffer` is filled by a capture thread and emptied by the event
loop; when the consumer falls behind, the oldest frame is dropped and counted.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    index: int  # counts up from 0 over the camera's life (frames delivered, not frames skipped)
    monotonic: float  # clock.monotonic() when captured
    wall: datetime  # clock.now() when captured
    image: np.ndarray  # BGR, height x width x 3, uint8: the sub-stream when there is one
    detail: np.ndarray | None = None  # the main stream's image taken with it, if the camera has a sub-stream

    @property
    def detail_scale(self) -> tuple[float, float]:
        """(x, y) factors from ``image`` coordinates to ``detail`` ones; (1, 1) without a detail image."""
        if self.detail is None:
            return 1.0, 1.0
        return self.detail.shape[1] / self.image.shape[1], self.detail.shape[0] / self.image.shape[0]


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

    def pop_newest(self) -> Frame | None:
        """The newest frame, discarding the older ones (the consumer skips them: not counted as dropped)."""
        with self._lock:
            frame = self._frames[-1] if self._frames else None
            self._frames.clear()
            return frame

    def take_counts(self) -> tuple[int, int]:
        """Frames captured and dropped since the last call."""
        with self._lock:
            counts = (self._captured, self._dropped)
            self._captured = self._dropped = 0
            return counts
