"""``edge bench falls``: a small run prints the figures; matching and the false-alarm bound."""

from __future__ import annotations

import json

import pytest

from edge.bench.falls import _match, poisson_upper_95
from edge.cli import main
from edge.vision.falls.detector import FallEvent


def test_a_small_bench_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "falls", "--json", "--throws", "3", "--distractor-seconds", "1", "--size", "640x360"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("recall", "precision", "false_alarms_per_camera_hour", "false_alarms_per_camera_day_upper_95",
                "floor_exact", "floor_within_1", "ms_per_frame_p95", "missed_target_class"):
        assert key in result
    assert result["throws"] == 3 and result["frame_size"] == [640, 360]
    assert result["frames"] == 3 * 125 + 20 * 25
    assert 0 < result["ms_per_frame_p95"] < 1000


def test_a_false_alarm_run_of_one_distractor(capsys: pytest.CaptureFixture[str]) -> None:
    """Long false-alarm runs of one kind (a leaf storm): no throws, only the scenes named."""
    argv = ["bench", "falls", "--json", "--throws", "0", "--distractors", "leaves", "--distractor-seconds", "1",
            "--size", "640x360"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["distractor_scenes"] == ["leaves/day", "leaves/night"]
    assert result["frames"] == 2 * 25 and result["throws"] == 0 and result["recall"] is None
    assert result["false_alarms"] == 0 and result["false_alarms_per_camera_day_upper_95"] > 0


def test_unknown_distractors_are_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "falls", "--json", "--throws", "0", "--distractors", "leaves,hail"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown: hail" in err


def test_the_false_alarm_bound_is_poisson() -> None:
    assert poisson_upper_95(0) == pytest.approx(2.996, abs=0.01)
    assert poisson_upper_95(1) == pytest.approx(4.744, abs=0.01)
    assert poisson_upper_95(5) == pytest.approx(10.513, abs=0.01)


def _event(track: list[tuple[int, float, float]], release: float) -> FallEvent:
    return FallEvent(track[0][0], track[-1][0], release, (0.0, 0.0), 5, None, 0.9, track)


def test_an_event_on_the_throws_path_matches_even_when_found_late() -> None:
    throw = {"release_frame": 10, "path": [[100.0, 100.0 + 2 * k * k] for k in range(60)]}
    late = _event([(10 + k, 101.0, 100.0 + 2 * k * k) for k in range(40, 55)], release=49.0)
    elsewhere = _event([(10 + k, 400.0, 100.0 + 2 * k * k) for k in range(40, 55)], release=10.0)
    assert _match([elsewhere, late], [throw], (1280, 720)) == [(throw, late)]
    assert _match([elsewhere], [throw], (1280, 720)) == [(throw, None)]
