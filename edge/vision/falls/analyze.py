"""Analyse a recorded video file with :class:`FallDetector`, timing every frame.

Used by ``edge falls analyze`` and ``edge bench falls``; the daemon feeds the
same detector from its capture thread instead. Timing covers the detector's
work per frame (grey conversion included), not decoding, which is reported
separately.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edge.vision.falls.calibration import FloorCalibration
from edge.vision.falls.detector import FallConfig, FallDetector, FallEvent


class VideoError(RuntimeError):
    """The video cannot be opened or read."""


@dataclass
class AnalysisSummary:
    frames: int = 0
    fps: float = 0.0
    frame_size: tuple[int, int] = (0, 0)
    analysis_ms: list[float] = field(default_factory=list)
    decode_ms: list[float] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        data = self.analysis_ms if values is None else values
        return round(float(np.percentile(data, q)), 2) if data else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "type": "summary",
            "frames": self.frames,
            "ms_per_frame_p50": self.percentile(50),
            "ms_per_frame_p95": self.percentile(95),
        }


def open_video(path: Path) -> tuple[cv2.VideoCapture, float, tuple[int, int]]:
    if not Path(path).is_file():
        raise VideoError(f"video not found: {path}")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoError(f"cannot open video: {path}")
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if size[0] <= 0 or size[1] <= 0:
        capture.release()
        raise VideoError(f"video has no frames of a known size: {path}")
    return capture, (fps if fps and 1 < fps < 1000 else 25.0), size


def _frames(capture: cv2.VideoCapture, summary: AnalysisSummary) -> Iterator[np.ndarray]:
    while True:
        started = time.perf_counter()
        ok, frame = capture.read()
        if not ok or frame is None:
            return
        summary.decode_ms.append((time.perf_counter() - started) * 1000)
        yield frame


def analyze_video(path: Path, calibration: FloorCalibration, on_event: Callable[[FallEvent], None],
                  config: FallConfig | None = None) -> AnalysisSummary:
    """Run the detector over every frame of ``path``; ``on_event`` gets each event as it is found."""
    capture, fps, size = open_video(path)
    summary = AnalysisSummary(fps=fps, frame_size=size)
    try:
        detector = FallDetector(calibration, size, fps, config)
        for index, frame in enumerate(_frames(capture, summary)):
            started = time.perf_counter()
            events = detector.process(frame, index)
            summary.analysis_ms.append((time.perf_counter() - started) * 1000)
            summary.frames = index + 1
            for event in events:
                on_event(event)
        for event in detector.finish():
            on_event(event)
        summary.skipped = dict(detector.skipped)
    finally:
        capture.release()
    return summary
