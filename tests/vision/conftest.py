"""Fixtures for the face tests: the real models and the real photos (tests/data/faces, MIT, © Adam Geitgey)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.faces.engine import DetectSettings, FaceEngine
from edge.vision.faces.models import load_models

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
ENROLLED = ("obama", "biden", "kit_harington")  # rose_leslie and alex_lacamoire stay strangers
# the people in each test photo, left to right in the photo
TEST_PHOTOS = {
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],
    "kit_with_rose.jpg": ["rose_leslie", "kit_harington"],
    "obama1.jpg": ["obama"],
    "obama_and_biden.jpg": ["biden", "obama", "girl_looking_down"],  # a child in the front row, bottom right
}


@pytest.fixture(scope="session")
def models():
    return load_models()


@pytest.fixture(scope="session")
def still_engine(models) -> FaceEngine:
    return FaceEngine(models, DetectSettings(detect_width=1280))


@pytest.fixture(scope="session")
def train_vectors(still_engine) -> dict[str, list[np.ndarray]]:
    """Each person's enrollment encodings, computed once per run."""
    vectors: dict[str, list[np.ndarray]] = {}
    for folder in sorted((FACES / "train").iterdir()):
        for photo in sorted(folder.iterdir()):
            faces = still_engine.analyze(cv2.imread(str(photo)))
            assert len(faces) == 1 and faces[0].encoding is not None, photo
            vectors.setdefault(folder.name, []).append(faces[0].encoding)
    return vectors


def read(name: str) -> np.ndarray:
    image = cv2.imread(str(FACES / name))
    assert image is not None, name
    return image
