"""A captured frame: what every frame feed hands its consumer.

A :class:`Frame` carries the image detection runs on (``image``) and, when the
camera has a sub-stream, the main stream's latest image (``detail``), taken
right after it: faces are found in the small image and cropped from the large
one, scaled by :attr:`Frame.detail_scale`.
"""

from __future__ import annotations

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
