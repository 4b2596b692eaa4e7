"""The scene generator: deterministic, calibrations that parse, ground truth consistent with the façade."""

from __future__ import annotations

import numpy as np

from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.floors import floor_at
from tests.scenes.render import SceneSpec, build_scene, render_frames


def test_same_seed_same_video() -> None:
    spec = SceneSpec(size=(320, 180), seconds=1, distractors=("rain", "birds", "shake"), seed=4)
    first = list(render_frames(build_scene(spec)))
    second = list(render_frames(build_scene(spec)))
    assert len(first) == 25 and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_truth_release_points_lie_on_their_floor() -> None:
    for seed in range(10):
        scene = build_scene(SceneSpec(size=(1280, 720), throws=2, seed=seed, floors=15))
        calibration = parse_calibration(scene.calibration())
        for throw in scene.truth():
            reading = floor_at(calibration, *throw["release_point"])
            assert reading.floor == throw["floor"], (seed, throw)
            assert throw["end_frame"] > throw["release_frame"]


def test_night_scenes_are_darker() -> None:
    day = next(iter(render_frames(build_scene(SceneSpec(size=(320, 180), seed=1)))))
    night = next(iter(render_frames(build_scene(SceneSpec(size=(320, 180), night=True, seed=1)))))
    assert night.mean() < day.mean() - 40
