"""Which floor a point on the façade belongs to, and its neighbour when it is close to a floor line.

A point's floor is ``first_floor`` plus the number of floor lines below it
(its calibration *level*, rounded down; points below the ground line count as
``first_floor``). When the point is within a quarter of a floor of a line that
separates two calibrated floors, the floor on the other side of that line is
reported too, as ``floor_alt``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edge.vision.falls.calibration import FloorCalibration

#: a point closer than this (in floors) to a floor line also names the floor across the line
NEIGHBOUR_MARGIN = 0.25


@dataclass(frozen=True)
class FloorReading:
    floor: int
    floor_alt: int | None
    level: float


def floor_at(calibration: FloorCalibration, x: float, y: float) -> FloorReading:
    """The floor at pixel (x, y) of the calibration's frame."""
    return floor_of_level(calibration, calibration.level(x, y))


def floor_of_level(calibration: FloorCalibration, level: float) -> FloorReading:
    base = max(level, 0.0)
    index = math.floor(base)
    fraction = base - index
    floor = calibration.first_floor + index
    alt = None
    lines = len(calibration.floor_lines)
    if fraction < NEIGHBOUR_MARGIN and 1 <= index <= lines:
        alt = floor - 1
    elif fraction > 1 - NEIGHBOUR_MARGIN and index + 1 <= lines:
        alt = floor + 1
    return FloorReading(floor, alt, level)
