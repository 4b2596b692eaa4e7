"""The bounded buffer captured frames (:class:`drivers.capabilities.frame.Frame`) wait in for their
one consumer.

The :class:`FrameBuffer` is filled by a capture thread and emptied by the event
loop; when the consumer falls behind, the oldest frame is dropped and counted.
"""

from __future__ import annotations

import threading
from collections import deque

from drivers.capabilities.frame import Frame


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
