"""The trajectory test: generated parabolas pass; straight, upward, slow and short tracks do not."""

from __future__ import annotations

import random

import pytest

from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.trajectory import TrajectoryConfig, evaluate
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


def test_a_fall_seen_only_near_its_terminal_speed_is_traced_back_with_drag() -> None:
    """A light object from floor 14, seen only from 1.6 s after release: a drag-free parabola
    would put the start several floors low; the drag fit finds the floor."""
    rng = random.Random(4)
    for _ in range(50):  # a throw whose object is light (terminal speed near 15 m/s)
        throw = plan_throw(FACADE, rng, FPS, 0, floor=14, size_px=5)
        if throw.terminal_ms < 20:
            break
    late = 40
    verdict = evaluate(_track(throw.path[late:], first=late), CAL, FPS)
    assert verdict.accepted and verdict.release is not None and not verdict.release.observed
    assert verdict.release.t < -1.0
    assert int(verdict.release.level) + 1 == 14


def _drift(first: int, frames: int, x0: float, level0: float, floors_per_s: float) -> list[tuple[int, float, float]]:
    """A leaf: sliding sideways, sinking slowly and steadily."""
    points = []
    for k in range(frames):
        x = x0 + 4.0 * k
        points.append((first + k, x, CAL.y_at_level(x, level0 - floors_per_s * k / FPS)))
    return points


def test_two_drifting_leaves_either_side_of_a_gap_are_not_one_fall() -> None:
    from edge.vision.falls.trajectory import continues

    first = _drift(100, 12, 500, 6.0, 0.4)
    then = _drift(130, 6, 620, 4.2, 0.4)  # 1.6 floors lower 0.7 s later: a parabola fits the levels
    assert not continues(first, then, CAL, FPS)
    assert not evaluate(first + then, CAL, FPS).accepted


def test_a_fall_hidden_by_balconies_is_joined_across_the_gaps() -> None:
    throw = plan_throw(FACADE, random.Random(7), FPS, 0, floor=12, size_px=5)
    track = _track(throw.path)
    hidden = [p for p in track if not (10 <= p[0] < 16 or 26 <= p[0] < 31)]
    verdict = evaluate(hidden, CAL, FPS)
    assert verdict.accepted, verdict
    assert int(verdict.release.level) + 1 == 12


def test_a_point_or_two_seen_after_a_gap_is_dropped_not_trusted() -> None:
    from edge.vision.falls.trajectory import verifiable

    leaf = _drift(100, 12, 500, 6.0, 0.4)
    stray = [(125, 700.0, CAL.y_at_level(700, 4.0)), (126, 702.0, CAL.y_at_level(702, 3.95))]
    assert verifiable(leaf + stray) == leaf
    assert evaluate(leaf + stray, CAL, FPS).reason != "ok"


def test_a_short_piece_long_after_a_gap_is_dropped_not_trusted() -> None:
    """In a leaf storm, some leaf is near where a fall hidden for 0.6 s would be: three points seen
    after that long carry too little to tell (a chain in generated leaves footage did exactly this)."""
    from edge.vision.falls.trajectory import verifiable

    throw = plan_throw(FACADE, random.Random(7), FPS, 0, floor=12, size_px=5)
    track = _track(throw.path)
    head, late = track[:10], track[26:29]  # unseen for 16 frames, then 3 points
    assert verifiable(head + late) == head
    assert evaluate(head + late, CAL, FPS).reason != "ok"
    trusting = TrajectoryConfig(max_gap_per_piece_point=1e9)
    assert evaluate(head + late, CAL, FPS, trusting).accepted  # they do lie on the fall
    assert verifiable(head + track[16:19]) == head + track[16:19]  # after 6 frames, 3 points are enough
    assert verifiable(head + track[26:33]) == head + track[26:33]  # after 16, 7 are


def _steady(x: float, level: float, pieces: list[tuple[int, float, float, float]], seed: int):
    """Objects each moving steadily (frames, floors/s down, px/frame across, a jump down at the hand-over)."""
    rng = random.Random(seed)
    points, frame = [], 0
    for frames, speed, vx, jump in pieces:
        level -= jump
        for _ in range(frames):
            points.append((float(frame), x + rng.gauss(0, 0.25), CAL.y_at_level(x, level) + rng.gauss(0, 0.25)))
            frame, level, x = frame + 1, level - speed / FPS, x + vx
    return points


@pytest.mark.parametrize("seed", range(3))
def test_two_steady_objects_handing_on_are_not_a_fall(seed: int) -> None:
    """A snowflake drifting down, then a nearer, faster one (snow at night made this false alarm):
    the two speeds add up to a parabola, but two straight lines fit far better."""
    track = _steady(640, 9.0, [(14, 0.5, 0.0, 0.0), (24, 1.6, 1.0, 0.12)], seed)
    assert evaluate(track, CAL, FPS).reason == "two_steady_pieces"
    assert evaluate(track, CAL, FPS, TrajectoryConfig(max_curve_to_lines=1e9)).accepted  # the other tests pass it


def test_two_lines_fit_is_exact_over_every_split() -> None:
    import numpy as np

    from edge.vision.falls.trajectory import _two_lines_rms

    t = np.arange(12.0)
    assert _two_lines_rms(t, np.where(t < 5, t, 20 - 2 * t)) < 1e-6  # a kink after the 5th point
    assert _two_lines_rms(t, t**2) > 1.0  # a parabola is no two lines
    assert _two_lines_rms(t[:7], t[:7]) == float("inf")  # too few points for two lines of 4


def test_jitter_is_measured_from_the_track_itself() -> None:
    import numpy as np

    from edge.vision.falls.trajectory import _jitter

    rng = np.random.default_rng(0)
    frames = np.arange(60.0)
    z = 12.0 - 0.02 * frames**2 + rng.normal(0, 0.01, 60)  # a fall, each height known to 0.01 floors
    assert 0.005 < _jitter(frames, z) < 0.015  # the spread of a 60-point estimate is about 30 %
    assert _jitter(frames, 12.0 - 0.02 * frames**2) < 1e-9  # the fall's own curvature is not jitter
    assert _jitter(frames[::4], z[::4]) > 0  # a track processed at every 4th frame still has runs
    assert _jitter(np.array([0.0, 5.0, 10.0, 12.0]), z[:4]) == 0.0  # too few runs: unknown


def test_a_track_handed_on_between_objects_jumps_beyond_its_jitter() -> None:
    """Each object sits a few pixels off the one parabola (a chain of leaves in a storm): the
    residual stays small in floors, but is many times the wobble of any one of them."""
    throw = plan_throw(FACADE, random.Random(7), FPS, 0, floor=12, size_px=5)
    track = _track(throw.path, noise=0.25)
    assert evaluate(track, CAL, FPS).accepted
    offsets = [0.0, 4.5, -4.0, 3.5]
    chained = [(f, x, y + offsets[min(3, int(f) // 10)]) for f, x, y in track]
    verdict = evaluate(chained, CAL, FPS)
    assert verdict.reason == "jumps_beyond_jitter", verdict
    assert verdict.residual_floors < TrajectoryConfig().max_residual_floors  # the old test let it pass


def test_a_piece_that_stops_moving_sideways_after_a_gap_is_another_object() -> None:
    """Heights that carry on across a gap are not enough: the track jumps ahead to a leaf that
    drifts straight down, where the fall would have carried on sideways."""
    from edge.vision.falls.trajectory import continues

    throw = plan_throw(FACADE, random.Random(3), FPS, 0, floor=12, size_px=5)
    brisk = [(x + 3.0 * k, y) for k, (x, y) in enumerate(throw.path[:60])]  # thrown out at 2 floors/s more
    track = _track(brisk, noise=0.25)
    first, then = track[:20], track[32:40]
    assert continues(first, then, CAL, FPS)
    ahead = [(f, x + 20, y) for f, x, y in then]  # 20 px further on, moving on as the fall did: still one
    assert continues(first, ahead, CAL, FPS)
    leaf = [(f, then[0][1] + 20 + 0.1 * k, y) for k, (f, _, y) in enumerate(then)]  # there, but not moving on
    assert not continues(first, leaf, CAL, FPS)


def test_a_fall_bent_by_drag_is_its_curve_but_a_chain_of_leaves_is_not() -> None:
    import math

    import numpy as np

    from edge.vision.falls.drag import drag_fit_rms

    g, vt = 9.81 / 3.0, 8.0 / 3.0  # floors: a light object, terminal speed 8 m/s
    t = np.arange(40) / FPS
    z = 9.0 - (vt * vt / g) * np.log(np.cosh(g * (t + 0.2) / vt)) + np.random.default_rng(1).normal(0, 0.002, 40)
    parabola = math.sqrt(((np.polyval(np.polyfit(t, z, 2), t) - z) ** 2).mean())
    drag = drag_fit_rms(t, z, g, 3.0, 0.8, (0.3, 1.7))
    assert drag < 0.004 < parabola  # the drag curve explains it down to the noise; a parabola does not
    chained = z + np.repeat([0.0, 0.06, -0.05, 0.04], 10)  # handed on between four leaves
    assert drag_fit_rms(t, chained, g, 3.0, 0.8, (0.3, 1.7)) > 0.03
