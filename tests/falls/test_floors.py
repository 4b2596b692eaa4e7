"""Floor attribution: lines interpolated in x, the ground floor, the roof, and the quarter-floor neighbour."""

from __future__ import annotations

import pytest

from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.floors import floor_at

# three lines, sloping (perspective): 100 px per floor at x=0, 80 px per floor at x=1000
CAL = parse_calibration({
    "frame_size": [1000, 800],
    "facade": [[0, 800], [1000, 800], [1000, 0], [0, 0]],
    "floor_lines": [[[0, 600], [1000, 560]], [[0, 500], [1000, 480]], [[0, 400], [1000, 400]]],
    "first_floor": 3,
})


@pytest.mark.parametrize(("x", "y", "floor", "alt"), [
    (0, 650, 3, None),  # below floor_lines[0]: first_floor
    (0, 790, 3, None),  # near the ground: no floor below to name
    (0, 550, 4, None),  # middle of the floor between lines 0 and 1
    (0, 590, 4, 3),  # just above line 0: within a quarter floor
    (0, 610, 3, 4),  # just below line 0
    (0, 505, 4, 5),  # just below line 1
    (1000, 520, 4, None),  # same floor, other end: lines interpolated
    (1000, 545, 4, 3),  # 15 px above line 0 where a floor is 80 px: within a quarter
    (500, 450, 5, None),
    (500, 350, 6, None),  # above the top line: extrapolated with the top floor's height
    (500, 315, 6, None),  # near the top of the top floor: no line above, no neighbour
    (500, 390, 6, 5),
])
def test_floor_at(x: float, y: float, floor: int, alt: int | None) -> None:
    reading = floor_at(CAL, x, y)
    assert (reading.floor, reading.floor_alt) == (floor, alt)
