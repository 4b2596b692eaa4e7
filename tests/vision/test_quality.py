"""Quality gates on real faces: a blurred, a small and a sideways face are not encoded, and say why."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.vision.faces.engine import DetectSettings, FaceEngine
from edge.vision.faces.quality import pose
from tests.vision.conftest import read


@pytest.fixture(scope="module")
def engine(models) -> FaceEngine:
    return FaceEngine(models, DetectSettings(detect_width=1280))


def only_face(engine: FaceEngine, image: np.ndarray):
    (face,) = engine.analyze(image)
    return face


def test_a_sharp_frontal_face_is_encoded(engine) -> None:
    face = only_face(engine, read("train/obama/obama.jpg"))
    assert face.quality.ok and face.encoding is not None and face.encoding.shape == (128,)
    assert abs(face.quality.yaw) < 0.1 and 0.6 < face.quality.pitch < 0.9


def test_a_blurred_face_is_not_encoded(engine) -> None:
    face = only_face(engine, cv2.GaussianBlur(read("train/obama/obama.jpg"), (0, 0), 6))
    assert face.encoding is None and face.quality.problem.startswith("blurred")


def test_a_small_face_is_not_encoded(models) -> None:
    engine = FaceEngine(models, DetectSettings(detect_width=1280, upsample=1))
    small = cv2.resize(read("train/obama/obama.jpg"), None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    face = only_face(engine, small)
    assert face.encoding is None and face.quality.problem.startswith("too small")


def test_a_face_lying_sideways_is_not_encoded(engine) -> None:
    image = read("train/obama/obama.jpg")
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 40, 1.0)
    faces = engine.analyze(cv2.warpAffine(image, turn, (width, height)))
    assert all(f.encoding is None for f in faces)
    assert all("roll" in f.quality.problem for f in faces)


def test_pose_from_landmarks() -> None:
    frontal = np.array([[60, 40], [50, 40], [20, 40], [30, 40], [40, 64]], np.float32)
    yaw, pitch, roll = pose(frontal)
    assert abs(yaw) < 1e-6 and pitch == pytest.approx(0.8) and roll == pytest.approx(0.0)
    turned = frontal.copy()
    turned[4, 0] = 55  # the nose well to one side
    assert pose(turned)[0] == pytest.approx(0.5)


def test_skip_boxes_are_neither_measured_nor_encoded(engine) -> None:
    image = read("two_people.jpg")
    first, second = engine.analyze(image)
    again = engine.analyze(image, skip=(first.box,))
    assert again[0].skipped and again[0].encoding is None
    assert not again[1].skipped and again[1].encoding is not None
