"""Is anything moving in front of the gate camera? The cheap test before the expensive one.

The frame is shrunk to ``width`` pixels wide, greyed and smoothed; the fraction
of pixels that changed by more than ``level`` since the last frame looked at
decides. Well under a millisecond per frame, so it runs on the event loop.
The first frame counts as motion (someone may already be standing there).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class MotionSettings:
    width: int = 160
    level: int = 14  # grey levels a pixel must change by
    min_changed: float = 0.002  # fraction of pixels that must change


class MotionGate:
    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._previous: np.ndarray | None = None

    def moved(self, image: np.ndarray) -> bool:
        small = self._prepare(image)
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            return True
        changed = cv2.absdiff(small, previous) > self.settings.level
        return float(np.count_nonzero(changed)) / changed.size >= self.settings.min_changed

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        scale = self.settings.width / width
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = cv2.resize(grey, (self.settings.width, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (5, 5), 0)
