"""Motion: shake measured only when the whole façade moves, lights re-learned locally, clutter."""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.vision.falls.motion import MotionConfig, MotionDetector
from tests.scenes.facade import FacadeSpec, build_facade

SIZE = (320, 240)


def _facade(seed: int = 0) -> np.ndarray:
    """A generated façade (windows, balconies, sky), grey, at working resolution."""
    facade = build_facade(FacadeSpec(size=SIZE, floors=8, seed=seed, tree=False))
    return np.float32(cv2.cvtColor(facade.background, cv2.COLOR_BGR2GRAY))


def _frame(wall: np.ndarray, rng: np.random.Generator, objects=(), shift=(0.0, 0.0)) -> np.ndarray:  # type: ignore[no-untyped-def]
    image = wall.copy()
    for x, y in objects:
        cv2.circle(image, (round(x), round(y)), 2, 230, -1)
    if shift != (0.0, 0.0):
        matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        image = cv2.warpAffine(image, matrix, SIZE, borderMode=cv2.BORDER_REPLICATE)
    image += rng.normal(0, 2.0, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _detector() -> MotionDetector:
    return MotionDetector(np.full((SIZE[1], SIZE[0]), 255, np.uint8), MotionConfig())


def test_an_object_crossing_a_still_facade_is_not_taken_for_shake() -> None:
    """Patches compared frame to frame must be the frames' own: a phase correlation that
    windows its inputs in place (OpenCV 5.0 does) measures a steady drift of ~0.15 px a
    frame here, which adds up to whole pixels within a second."""
    for seed in range(3):
        wall, rng, motion = _facade(seed), np.random.default_rng(seed + 1), _detector()
        moves = []
        for k in range(40):
            motion.detect(_frame(wall, rng, [(60 + 3 * k, 50 + 2 * k)]))
            if motion.last_shift is not None:
                moves.append(motion.last_shift)
        assert len(moves) > 30
        assert abs(float(np.mean([dy for _, dy in moves]))) < 0.05
        assert max(math.hypot(*m) for m in moves) < 0.12
        assert motion.offset == (0.0, 0.0)


def test_a_camera_move_is_measured_and_the_object_still_found() -> None:
    wall, rng, motion = _facade(), np.random.default_rng(2), _detector()
    found_after_move = 0
    for k in range(30):
        shift = (1.5, -1.0) if k >= 15 else (0.0, 0.0)
        result = motion.detect(_frame(wall, rng, [(100 + 3 * k, 60 + 2 * k)], shift))
        if k == 15:
            assert motion.last_shift is not None
            assert abs(motion.last_shift[0] - 1.5) < 0.25 and abs(motion.last_shift[1] + 1.0) < 0.25
        if k > 15:
            found_after_move += any(abs(b.y - (60 + 2 * k)) < 4 for b in result.blobs)
            assert len(result.blobs) <= 2  # the window edges did not light up
    assert found_after_move >= 12


def test_a_window_switching_on_is_relearned_there_only() -> None:
    wall, rng, motion = _facade(), np.random.default_rng(3), _detector()
    lit = wall.copy()
    lit[60:100, 100:190] = 220  # a big lit window: more changed area than a throw can make
    reasons, found = [], []
    for k in range(30):
        scene = lit if k >= 15 else wall
        result = motion.detect(_frame(scene, rng, [(30 + 2 * k, 150 + 1.5 * k)]))
        reasons.append(result.skipped)
        found.append(any(abs(b.x - (30 + 2 * k)) < 4 and abs(b.y - (150 + 1.5 * k)) < 4 for b in result.blobs))
    assert reasons[15] == "changed_area"
    assert "warming" not in reasons[15:]  # not a full restart
    assert all(found[16:])  # the object elsewhere is followed straight on
    assert all(r is None for r in reasons[18:])


def test_clutter_keeps_only_blobs_where_an_object_is_expected() -> None:
    wall, rng = _facade(), np.random.default_rng(4)
    specks = [(float(x), float(y)) for x, y in rng.uniform(10, 230, (60, 2))]
    motion = _detector()
    for _ in range(5):
        motion.detect(_frame(wall, rng))
    frame = _frame(wall, rng, specks + [(200.0, 120.0)])
    watched = motion.detect(frame, watch=lambda: [(200.0, 120.0, 6.0)])
    assert watched.skipped == "too_many_blobs"
    assert [(round(b.x), round(b.y)) for b in watched.blobs] == [(200, 120)]
    unwatched = _detector()
    for _ in range(5):
        unwatched.detect(_frame(wall, np.random.default_rng(4)))
    assert unwatched.detect(frame).blobs == []
