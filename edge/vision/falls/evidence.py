"""Evidence for a detected fall: a clip around the event and one annotated picture.

The daemon takes the frames from N s before the release to M s after out of
its frame ring (:mod:`.ring`); the CLI re-reads them from the file. Then
:func:`write_evidence` — pure and blocking, meant for a worker — writes the
clip and a JPEG with the trajectory, release point and floor label drawn on
it. The daemon attaches both to the event as media.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.vision.falls.detector import FallEvent


@dataclass(frozen=True)
class Evidence:
    clip: Path
    picture: Path


def write_evidence(frames: list[tuple[int, np.ndarray]], event: FallEvent, calibration_size: tuple[int, int],
                   fps: float, directory: Path, stem: str) -> Evidence:
    """Write ``stem``.mp4 (or .avi when MPEG-4 is unavailable) and ``stem``.jpg into ``directory``."""
    if not frames:
        raise ValueError("no frames to write")
    directory.mkdir(parents=True, exist_ok=True)
    height, width = frames[0][1].shape[:2]
    clip = _write_clip([f for _, f in frames], fps, (width, height), directory / stem)
    scale = (width / calibration_size[0], height / calibration_size[1])
    index = min(frames, key=lambda item: abs(item[0] - event.release_frame))[0]
    still = next(f for i, f in frames if i == index)
    picture = directory / f"{stem}.jpg"
    if not cv2.imwrite(str(picture), annotate(still, event, scale)):
        raise OSError(f"cannot write {picture}")
    return Evidence(clip, picture)


def _write_clip(frames: list[np.ndarray], fps: float, size: tuple[int, int], stem: Path) -> Path:
    for suffix, codec in ((".mp4", "mp4v"), (".avi", "MJPG")):
        path = stem.with_suffix(suffix)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
        if not writer.isOpened():
            continue
        try:
            for frame in frames:
                writer.write(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        finally:
            writer.release()
        if path.stat().st_size > 0:
            return path
    raise OSError(f"no video codec could write {stem}")


def annotate(frame: np.ndarray, event: FallEvent, scale: tuple[float, float]) -> np.ndarray:
    """A copy of ``frame`` with the track, the release point and the floor label drawn."""
    image = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    points = np.array([[x * scale[0], y * scale[1]] for _, x, y in event.track], np.float32)
    cv2.polylines(image, [np.round(points).astype(np.int32)], False, (0, 0, 255), 2, cv2.LINE_AA)
    ox, oy = round(event.origin[0] * scale[0]), round(event.origin[1] * scale[1])
    cv2.circle(image, (ox, oy), 8, (0, 255, 255), 2, cv2.LINE_AA)
    label = f"floor {event.floor}" + (f" (or {event.floor_alt})" if event.floor_alt is not None else "")
    label += f"  conf {event.confidence:.2f}"
    anchor = (max(5, ox + 12), max(20, oy - 10))
    cv2.putText(image, label, anchor, cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(image, label, anchor, cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 1, cv2.LINE_AA)
    return image
