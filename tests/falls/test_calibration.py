"""Calibration files: parsing, scaling, geometry, and a clear error for every kind of invalid file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from edge.vision.falls.calibration import CalibrationError, load_calibration, parse_calibration

GOOD = {
    "frame_size": [1000, 800],
    "facade": [[100, 750], [900, 750], [850, 50], [150, 50]],
    "masks": [[[100, 600], [200, 600], [200, 750], [100, 750]]],
    "floor_lines": [[[100, 600], [500, 610], [900, 620]], [[100, 400], [900, 420]], [[100, 200], [900, 220]]],
    "first_floor": 1,
}


def test_a_good_file_parses_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(GOOD))
    calibration = load_calibration(path)
    assert calibration.frame_size == (1000, 800)
    assert len(calibration.floor_lines) == 3 and calibration.first_floor == 1
    assert parse_calibration(calibration.to_json()) == calibration


def test_floor_lines_are_interpolated_and_extended_in_x() -> None:
    calibration = parse_calibration(GOOD)
    assert calibration.line_y(0, 300) == pytest.approx(605)
    assert calibration.line_y(0, 700) == pytest.approx(615)
    assert calibration.line_y(1, 1000) == pytest.approx(422.5)  # past the last point: extended


def test_level_and_its_inverse() -> None:
    calibration = parse_calibration(GOOD)
    assert calibration.level(500, 610) == pytest.approx(1.0)
    assert calibration.level(500, 410) == pytest.approx(2.0)
    for level in (0.3, 1.5, 2.9, 3.6):
        assert calibration.level(420, calibration.y_at_level(420, level)) == pytest.approx(level)


def test_scaling_to_another_stream_size() -> None:
    half = parse_calibration(GOOD).scaled((500, 400))
    assert half.frame_size == (500, 400)
    assert half.line_y(0, 250) == pytest.approx(305)
    assert half.level(250, 305) == pytest.approx(1.0)


def test_region_mask_is_the_facade_minus_masks() -> None:
    mask = parse_calibration(GOOD).region_mask((500, 400))
    assert mask[200, 250] == 255  # façade centre
    assert mask[340, 75] == 0  # inside the mask polygon
    assert mask[10, 10] == 0  # sky


def _with(**changes: object) -> dict:
    raw = copy.deepcopy(GOOD)
    raw.update(changes)
    return raw


INVALID = [
    ([1, 2], "must be a JSON object"),
    (_with(colour="red"), "unknown key(s): colour"),
    ({k: v for k, v in GOOD.items() if k != "facade"}, "missing key(s): facade"),
    (_with(frame_size=[0, 800]), "frame_size: must be [width, height]"),
    (_with(frame_size=[1000]), "frame_size: must be [width, height]"),
    (_with(facade=[[100, 750], [900, 750]]), "facade: must be a polygon of at least 3 points"),
    (_with(facade=[[100, 750], [900, 750], [500, 750]]), "facade: polygon has no area"),
    (_with(facade=[[100, 750], [900, "x"], [500, 50]]), "facade[1]: a point must be [x, y]"),
    (_with(facade=[[100, 750], [1900, 750], [500, 50]]), "outside the frame 1000x800"),
    (_with(masks={"a": 1}), "masks: must be a list of polygons"),
    (_with(masks=[[[1, 1], [2, 2]]]), "masks[0]: must be a polygon"),
    (_with(floor_lines=[[[100, 600], [900, 620]]]), "floor_lines: need at least 2 lines"),
    (_with(floor_lines=[[[100, 600]], [[100, 400], [900, 420]]]), "floor_lines[0]: must be a line of at least 2"),
    (_with(floor_lines=[[[900, 600], [100, 620]], [[100, 400], [900, 420]]]), "x must increase"),
    (_with(floor_lines=[[[100, 400], [900, 420]], [[100, 600], [900, 620]]]), "must lie above floor_lines[0]"),
    (_with(first_floor="1"), "first_floor: must be an integer"),
    (_with(first_floor=True), "first_floor: must be an integer"),
]


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_every_invalid_file_gets_a_clear_error(raw: object, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(CalibrationError) as caught:
        load_calibration(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="not found"):
        load_calibration(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CalibrationError, match="is not JSON"):
        load_calibration(tmp_path / "bad.json")
