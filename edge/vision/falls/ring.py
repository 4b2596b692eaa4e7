"""The last seconds of a façade camera, JPEG-compressed, for the evidence clip.

A 1280×720 frame is 2.7 MB raw; 12 s of 25 fps would be 750 MB. Kept as
JPEG at ``width`` pixels (~60 KB at 960 px, ~3 ms to encode here), the same
12 s take ~18 MB. Frames are pushed by the camera's analysis thread and read
by the evidence writer's; a lock keeps the two apart.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime

import cv2
import numpy as np


class JpegRing:
    def __init__(self, seconds: float, fps: float, width: int, quality: int = 80) -> None:
        self._frames: deque[tuple[int, datetime, bytes]] = deque(maxlen=max(1, round(seconds * fps)))
        self._width, self._quality = width, quality
        self._lock = threading.Lock()

    def push(self, index: int, wall: datetime, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        if width > self._width:
            image = cv2.resize(image, (self._width, round(height * self._width / width)), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if ok:
            with self._lock:
                self._frames.append((index, wall, data.tobytes()))

    def between(self, first: int, last: int) -> list[tuple[int, np.ndarray]]:
        """Decoded frames with ``first <= index <= last``, oldest first."""
        with self._lock:
            chosen = [(i, data) for i, _, data in self._frames if first <= i <= last]
        return [(i, cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)) for i, data in chosen]

    def wall_of(self, index: float) -> datetime | None:
        """When the frame nearest ``index`` was captured."""
        with self._lock:
            if not self._frames:
                return None
            return min(self._frames, key=lambda item: abs(item[0] - index))[1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)
