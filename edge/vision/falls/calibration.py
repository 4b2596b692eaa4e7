"""A façade camera's calibration: where the building is, what to ignore, where the floors are.

The web console draws it on a still frame and saves JSON::

    {"frame_size": [w, h], "facade": [[x, y], ...], "masks": [[[x, y], ...], ...],
     "floor_lines": [[[x, y], [x, y]], ...], "first_floor": 1}

``floor_lines[i]`` is the boundary between floor ``first_floor + i`` and the
floor above it: a polyline of two or more points, interpolated (and, past its
ends, extrapolated) in x. Coordinates are pixels of ``frame_size``;
:meth:`FloorCalibration.scaled` maps them onto a stream of another size.

The detector works in a continuous *level*: line ``i`` sits at level
``i + 1``, so a point's floor is ``first_floor + floor(level)`` and heights in
floors are differences of levels, whatever the perspective.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

Point = tuple[float, float]
_KEYS = {"frame_size", "facade", "masks", "floor_lines", "first_floor"}


class CalibrationError(ValueError):
    """The calibration file is missing, unreadable or describes an impossible scene."""


@dataclass(frozen=True)
class FloorCalibration:
    frame_size: tuple[int, int]
    facade: tuple[Point, ...]
    masks: tuple[tuple[Point, ...], ...]
    floor_lines: tuple[tuple[Point, ...], ...]
    first_floor: int = 1

    def scaled(self, size: tuple[int, int]) -> FloorCalibration:
        """The same calibration in pixels of a frame of ``size`` (width, height)."""
        sx, sy = size[0] / self.frame_size[0], size[1] / self.frame_size[1]

        def scale(points: tuple[Point, ...]) -> tuple[Point, ...]:
            return tuple((x * sx, y * sy) for x, y in points)

        return FloorCalibration(
            (int(size[0]), int(size[1])), scale(self.facade), tuple(scale(m) for m in self.masks),
            tuple(scale(line) for line in self.floor_lines), self.first_floor,
        )

    def line_y(self, index: int, x: float) -> float:
        """The y of floor line ``index`` at ``x`` (linear between points, extended past the ends)."""
        return _interpolate(self.floor_lines[index], x)

    def level(self, x: float, y: float) -> float:
        """Continuous floors above the base of ``first_floor`` (line ``i`` is level ``i + 1``)."""
        ys = [self.line_y(i, x) for i in range(len(self.floor_lines))]
        i = 0
        while i < len(ys) - 2 and y < ys[i + 1]:
            i += 1
        return i + 1 + (ys[i] - y) / _spacing(ys, i)

    def y_at_level(self, x: float, level: float) -> float:
        """The inverse of :meth:`level` along the vertical through ``x``."""
        ys = [self.line_y(i, x) for i in range(len(self.floor_lines))]
        i = min(max(int(math.floor(level)) - 1, 0), len(ys) - 2)
        return ys[i] - (level - i - 1) * _spacing(ys, i)

    def floor_height_px(self, x: float, y: float) -> float:
        """The local height of one floor in pixels around (x, y)."""
        ys = [self.line_y(i, x) for i in range(len(self.floor_lines))]
        i = 0
        while i < len(ys) - 2 and y < ys[i + 1]:
            i += 1
        return _spacing(ys, i)

    def region_mask(self, size: tuple[int, int], margin_px: float = 0.0) -> np.ndarray:
        """A uint8 mask (255 = watch) of ``size``: inside the façade (grown by ``margin_px``), outside masks."""
        sx, sy = size[0] / self.frame_size[0], size[1] / self.frame_size[1]
        mask = np.zeros((size[1], size[0]), np.uint8)
        cv2.fillPoly(mask, [_pixels(self.facade, sx, sy)], 255)
        if margin_px > 0:
            grow = max(1, round(margin_px * sx))
            mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        for polygon in self.masks:
            cv2.fillPoly(mask, [_pixels(polygon, sx, sy)], 0)
        return mask

    def inside_facade(self, x: float, y: float, margin_px: float = 0.0) -> bool:
        contour = np.array(self.facade, np.float32).reshape(-1, 1, 2)
        return cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -margin_px

    def to_json(self) -> dict[str, Any]:
        return {
            "frame_size": list(self.frame_size),
            "facade": [list(p) for p in self.facade],
            "masks": [[list(p) for p in m] for m in self.masks],
            "floor_lines": [[list(p) for p in line] for line in self.floor_lines],
            "first_floor": self.first_floor,
        }


def _interpolate(line: tuple[Point, ...], x: float) -> float:
    k = 1
    while k < len(line) - 1 and x > line[k][0]:
        k += 1
    (x0, y0), (x1, y1) = line[k - 1], line[k]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _spacing(ys: list[float], i: int) -> float:
    """Pixels per floor between lines i and i+1 (never below one pixel)."""
    return max(ys[i] - ys[i + 1], 1.0)


def _pixels(points: tuple[Point, ...], sx: float, sy: float) -> np.ndarray:
    return np.array([[round(x * sx), round(y * sy)] for x, y in points], np.int32)


def load_calibration(path: Path) -> FloorCalibration:
    """Read and check a calibration file; every problem is a :class:`CalibrationError` naming the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"calibration file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"calibration {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return parse_calibration(raw)
    except CalibrationError as exc:
        raise CalibrationError(f"calibration {path}: {exc}") from None


def parse_calibration(raw: Any) -> FloorCalibration:
    """Check the JSON object's structure and geometry and build the calibration."""
    if not isinstance(raw, dict):
        raise CalibrationError("must be a JSON object")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise CalibrationError(f"unknown key(s): {', '.join(unknown)}")
    missing = sorted(k for k in ("frame_size", "facade", "floor_lines") if k not in raw)
    if missing:
        raise CalibrationError(f"missing key(s): {', '.join(missing)}")
    size = _frame_size(raw["frame_size"])
    facade = _polygon(raw["facade"], "facade", size)
    masks_raw = raw.get("masks", [])
    if not isinstance(masks_raw, list):
        raise CalibrationError("masks: must be a list of polygons")
    masks = tuple(_polygon(m, f"masks[{i}]", size) for i, m in enumerate(masks_raw))
    lines = _floor_lines(raw["floor_lines"], size)
    first = raw.get("first_floor", 1)
    if isinstance(first, bool) or not isinstance(first, int):
        raise CalibrationError("first_floor: must be an integer")
    return FloorCalibration(size, facade, masks, lines, first)


def _frame_size(value: Any) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        raise CalibrationError("frame_size: must be [width, height], two positive integers")
    return value[0], value[1]


def _point(value: Any, where: str, size: tuple[int, int]) -> Point:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or not all(math.isfinite(v) for v in value)):
        raise CalibrationError(f"{where}: a point must be [x, y], two numbers")
    x, y = float(value[0]), float(value[1])
    if not (0 <= x <= size[0] and 0 <= y <= size[1]):
        raise CalibrationError(f"{where}: point [{x:g}, {y:g}] is outside the frame {size[0]}x{size[1]}")
    return x, y


def _polygon(value: Any, where: str, size: tuple[int, int]) -> tuple[Point, ...]:
    if not isinstance(value, list) or len(value) < 3:
        raise CalibrationError(f"{where}: must be a polygon of at least 3 points")
    points = tuple(_point(p, f"{where}[{i}]", size) for i, p in enumerate(value))
    area = cv2.contourArea(np.array(points, np.float32))
    if area < 1.0:
        raise CalibrationError(f"{where}: polygon has no area")
    return points


def _floor_lines(value: Any, size: tuple[int, int]) -> tuple[tuple[Point, ...], ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise CalibrationError("floor_lines: need at least 2 lines (one floor's height)")
    lines = []
    for i, line in enumerate(value):
        where = f"floor_lines[{i}]"
        if not isinstance(line, list) or len(line) < 2:
            raise CalibrationError(f"{where}: must be a line of at least 2 points")
        points = tuple(_point(p, f"{where}[{k}]", size) for k, p in enumerate(line))
        if any(b[0] <= a[0] for a, b in zip(points, points[1:], strict=False)):
            raise CalibrationError(f"{where}: x must increase strictly from point to point")
        lines.append(points)
    for i in range(len(lines) - 1):
        for x in _sample_xs(lines[i], lines[i + 1]):
            if _interpolate(lines[i + 1], x) >= _interpolate(lines[i], x) - 1.0:
                raise CalibrationError(
                    f"floor_lines[{i + 1}]: must lie above floor_lines[{i}] (smaller y) "
                    f"everywhere; it does not at x={x:.0f}"
                )
    return tuple(lines)


def _sample_xs(a: tuple[Point, ...], b: tuple[Point, ...]) -> list[float]:
    """The x positions where two lines' order is checked: every vertex in their common span."""
    lo, hi = max(a[0][0], b[0][0]), min(a[-1][0], b[-1][0])
    if lo > hi:
        lo, hi = min(a[0][0], b[0][0]), max(a[-1][0], b[-1][0])
    xs = {lo, hi} | {p[0] for p in a + b if lo <= p[0] <= hi}
    return sorted(xs)
