"""The detector end to end on short generated scenes: throws found on the right floor, distractors ignored."""

from __future__ import annotations

import numpy as np
import pytest

from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.detector import FallDetector, FallEvent
from tests.scenes.distractors import NAMES
from tests.scenes.render import SceneSpec, build_scene, render_frames

SIZE = (640, 360)


def _detect(spec: SceneSpec) -> tuple[list[FallEvent], list[dict]]:
    scene = build_scene(spec)
    detector = FallDetector(parse_calibration(scene.calibration()), spec.size, spec.fps)
    events = []
    for index, frame in enumerate(render_frames(scene)):
        events += detector.process(frame, index)
    return events + detector.finish(), scene.truth()


@pytest.mark.parametrize(("seed", "night"), [(11, False), (12, False), (13, True)])
def test_a_throw_is_detected_on_its_floor(seed: int, night: bool) -> None:
    spec = SceneSpec(size=SIZE, seconds=4, night=night, floors=12, throw_floor=9, throw_size_px=8, seed=seed)
    events, truth = _detect(spec)
    assert len(events) == 1
    event = events[0]
    assert event.floor == truth[0]["floor"] == 9
    assert abs(event.release_frame - truth[0]["release_frame"]) <= 5
    assert event.start_frame <= truth[0]["end_frame"] and 0 < event.confidence <= 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("night", [False, True])
def test_distractor_only_scenes_give_no_events(name: str, night: bool) -> None:
    spec = SceneSpec(size=SIZE, seconds=5, night=night, throws=0, distractors=(name,), seed=len(name) + night)
    events, _ = _detect(spec)
    assert events == []


def test_everything_at_once_but_no_throw_gives_no_events() -> None:
    spec = SceneSpec(size=SIZE, seconds=5, throws=0, distractors=NAMES, seed=5)
    assert _detect(spec)[0] == []


CAL = parse_calibration({
    "frame_size": [320, 240], "facade": [[10, 230], [310, 230], [300, 10], [20, 10]],
    "floor_lines": [[[10, 200], [310, 200]], [[10, 170], [310, 170]], [[10, 140], [310, 140]]],
})


def test_random_noise_video_does_not_crash() -> None:
    rng = np.random.default_rng(0)
    detector = FallDetector(CAL, (320, 240), 25.0)
    for index in range(60):
        detector.process(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), index)
    assert detector.finish() == []


def test_a_moving_shape_grey_frames_and_another_size_do_not_crash() -> None:
    detector = FallDetector(CAL, (160, 100), 30.0)  # stream smaller, another aspect
    for index in range(60):
        frame = np.full((100, 160), 90, np.uint8)
        frame[20 + index: 50 + index, 10 + index: 40 + index] = 200
        detector.process(frame, index)
    assert detector.finish() == []
