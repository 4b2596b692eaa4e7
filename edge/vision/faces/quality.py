"""Is a detected face good enough to encode? Size, sharpness and a frontal pose.

Encoding a face costs far more than detecting it, and a blurred or turned
face gives an encoding that lands far from the resident's templates — or,
worse, near someone else's. So a face is measured first, from its box and
its 5 landmarks (dlib's order: points 0–1 are the outer and inner corner of
the eye on the image's right, 2–3 of the eye on its left, 4 the base of the
nose):

- ``size_px``: the box's width in the pixels the encoder will see;
- ``sharpness``: variance of the Laplacian of the face, resized to 96×96 so
  it does not depend on the face's size;
- ``yaw``: how far the nose sits from the eyes' midpoint, across the eye
  line, in eye distances (0 frontal, about ±0.5 at a half profile);
- ``pitch``: how far below the eye line the nose sits, in eye distances
  (about 0.6 for a level face; small when the head tips back or forward);
- ``roll``: the eye line's angle in degrees (alignment undoes roll; a large
  one still means a face lying sideways).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class QualityLimits:
    min_face_px: int = 80
    min_sharpness: float = 40.0
    max_yaw: float = 0.3
    min_pitch: float = 0.3
    max_pitch: float = 1.0
    max_roll_deg: float = 30.0


@dataclass(frozen=True, slots=True)
class Quality:
    size_px: int
    sharpness: float
    yaw: float
    pitch: float
    roll_deg: float
    problem: str | None  # None: good enough to encode; else why not, e.g. "too small (52 px < 80)"

    @property
    def ok(self) -> bool:
        return self.problem is None


def assess(grey: np.ndarray, box: tuple[int, int, int, int], points: np.ndarray, limits: QualityLimits) -> Quality:
    """Measure the face at ``box`` (top, right, bottom, left) in ``grey`` with 5 landmarks (5×2, x y)."""
    top, right, bottom, left = box
    size = right - left
    yaw, pitch, roll = pose(points)
    sharp = sharpness(grey, box)
    return Quality(size, round(sharp, 1), round(yaw, 3), round(pitch, 3), round(roll, 1),
                   _problem(size, sharp, yaw, pitch, roll, limits))


def pose(points: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll in degrees) from the 5 landmarks; see the module docs."""
    eye_a = (points[0] + points[1]) / 2.0
    eye_b = (points[2] + points[3]) / 2.0
    across = eye_a - eye_b
    distance = float(np.hypot(*across)) or 1.0
    roll = math.atan2(float(across[1]), float(across[0]))
    offset = points[4] - (eye_a + eye_b) / 2.0
    cos, sin = math.cos(-roll), math.sin(-roll)
    along_x = offset[0] * cos - offset[1] * sin
    along_y = offset[0] * sin + offset[1] * cos
    return float(along_x) / distance, float(along_y) / distance, math.degrees(roll)


def sharpness(grey: np.ndarray, box: tuple[int, int, int, int]) -> float:
    top, right, bottom, left = box
    height, width = grey.shape[:2]
    crop = grey[max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
    if crop.size == 0:
        return 0.0
    crop = cv2.resize(crop, (96, 96), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(crop, cv2.CV_32F).var())


def _problem(size: int, sharp: float, yaw: float, pitch: float, roll: float, limits: QualityLimits) -> str | None:
    if size < limits.min_face_px:
        return f"too small ({size} px < {limits.min_face_px})"
    if sharp < limits.min_sharpness:
        return f"blurred (sharpness {sharp:.0f} < {limits.min_sharpness:g})"
    if abs(yaw) > limits.max_yaw:
        return f"turned aside (yaw {yaw:+.2f})"
    if not limits.min_pitch <= pitch <= limits.max_pitch:
        return f"tilted up or down (pitch {pitch:.2f})"
    if abs(roll) > limits.max_roll_deg:
        return f"tilted sideways (roll {roll:+.0f}°)"
    return None
