"""The trajectory test: generated parabolas pass; straight, upward, slow and short tracks do not."""

from __future__ import annotations

import random

import pytest

from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.trajectory import evaluate
from tests.scenes.facade import FacadeSpec, build_facade
from tests.scenes.objects import plan_throw

FPS = 25.0
FACADE = build_facade(FacadeSpec(size=(1280, 720), floors=15, seed=3, tree=False))
CAL = parse_calibration(FACADE.calibration())


def _track(path: list[tuple[float, float]], first: int = 0, noise: float = 0.4, seed: int = 0):
    rng = random.Random(seed)
    return [(first + k, x + rng.gauss(0, noise), y + rng.gauss(0, noise)) for k, (x, y) in enumerate(path)]


@pytest.mark.parametrize("seed", range(8))
def test_generated_throws_pass_and_name_the_floor(seed: int) -> None:
    rng = random.Random(seed)
    throw = plan_throw(FACADE, rng, FPS, 0, floor=rng.randint(4, 15), size_px=5)
    verdict = evaluate(_track(throw.path, seed=seed), CAL, FPS)
    assert verdict.accepted, verdict
    assert verdict.release is not None
    assert 2 + int(verdict.release.level) >= throw.floor >= int(verdict.release.level)  # level 0 is floor 1
    assert abs(verdict.release.t) < 0.3


def test_unseen_start_is_extrapolated_back_to_the_apex() -> None:
    throw = plan_throw(FACADE, random.Random(5), FPS, 0, floor=12, size_px=5)
    verdict = evaluate(_track(throw.path[8:], first=8), CAL, FPS)
    assert verdict.accepted and verdict.release is not None and not verdict.release.observed
    assert verdict.release.t < 0  # before the first point seen
    assert int(verdict.release.level) + 1 == 12


def _straight(vx: float, vy: float, frames: int = 40) -> list[tuple[float, float]]:
    return [(640 + vx * k, 200 + vy * k) for k in range(frames)]


def test_constant_velocity_is_rejected() -> None:  # rain, a gliding bird
    assert evaluate(_track(_straight(1.0, 8.0)), CAL, FPS).reason in {
        "acceleration_out_of_band", "not_clearly_quadratic", "not_accelerating_down"}


def test_rising_track_is_rejected() -> None:
    path = [(640 + k, 600 - 4 * k - 0.1 * k * k) for k in range(40)]
    assert evaluate(_track(path), CAL, FPS).reason == "not_accelerating_down"


def test_slow_fluttering_fall_is_rejected() -> None:  # a leaf: slow, no acceleration, swaying
    import math

    path = [(640 + 15 * math.sin(k / 4), 200 + 1.2 * k) for k in range(75)]
    assert not evaluate(_track(path), CAL, FPS).accepted


def test_too_short_and_too_few_points_are_rejected() -> None:
    throw = plan_throw(FACADE, random.Random(1), FPS, 0, floor=10, size_px=5)
    assert evaluate(_track(throw.path[:4]), CAL, FPS).reason == "too_few_points"
    assert evaluate(_track(throw.path[:7]), CAL, FPS).reason in {"too_short", "fall_too_small"}


def test_a_fall_of_one_floor_is_too_small() -> None:
    throw = plan_throw(FACADE, random.Random(2), FPS, 0, floor=10, size_px=5)
    level0 = CAL.level(*throw.path[0])
    short = [p for p in throw.path if level0 - CAL.level(*p) < 1.0]
    assert evaluate(_track(short), CAL, FPS).reason == "fall_too_small"
