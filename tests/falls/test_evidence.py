"""Evidence: the daemon's frame ring stays bounded; a clip and an annotated picture are written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from edge.vision.falls.detector import FallEvent
from edge.vision.falls.evidence import annotate, write_evidence
from edge.vision.falls.ring import JpegRing

EVENT = FallEvent(start_frame=10, end_frame=30, release_frame=9.5, origin=(100.0, 40.0), floor=7, floor_alt=8,
                  confidence=0.9, track=[(f, 100.0 + f, 40.0 + 0.2 * f * f) for f in range(10, 31)])


def test_ring_keeps_the_last_seconds_only() -> None:
    ring = JpegRing(seconds=2, fps=10, width=320)
    for index in range(50):
        ring.push(index, datetime(2026, 11, 27, tzinfo=UTC), np.zeros((4, 4, 3), np.uint8))
    assert len(ring) == 20
    assert [i for i, _ in ring.between(0, 100)] == list(range(30, 50))
    assert [i for i, _ in ring.between(35, 37)] == [35, 36, 37]


def test_clip_and_picture_are_written(tmp_path: Path) -> None:
    frames = [(i, np.full((240, 320, 3), 120, np.uint8)) for i in range(0, 40)]
    evidence = write_evidence(frames, EVENT, (640, 480), 25.0, tmp_path / "media", "cam1-fall1")
    assert evidence.clip.exists() and evidence.clip.stat().st_size > 0
    capture = cv2.VideoCapture(str(evidence.clip))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == 40
    picture = cv2.imread(str(evidence.picture))
    assert picture.shape == (240, 320, 3)
    assert (picture != 120).any()  # something was drawn


def test_annotation_draws_at_the_scaled_origin() -> None:
    image = annotate(np.zeros((240, 320), np.uint8), EVENT, (0.5, 0.5))
    assert image.shape == (240, 320, 3)
    assert image[20 - 8: 20 + 9, 50 - 8: 50 + 9].any()
