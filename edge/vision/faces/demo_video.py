"""A gate camera's video made from still photos: visitors walking up to the gate, with known truth.

Each photo is cropped around its faces so the nearest face is about
``face_px`` wide in a 640×480 frame (a gate camera is mounted so faces are
large: HOG misses faces under ~80 px), then "walks up": the crop grows from
80 % to 100 % over ``visit_frames`` frames, with sensor noise, and the video
is written as MJPG (so every frame is JPEG-compressed, as from a camera).
Empty frames (a gate post, the ground) come between visitors.

Used by ``make demo`` (scripts/make_demo_video.py) and by the tests, which
read the returned :class:`Visit` list as ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.vision.faces.engine import DetectSettings, FaceEngine

SIZE = (640, 480)


@dataclass(frozen=True, slots=True)
class Visit:
    photo: str  # file name
    first_frame: int
    last_frame: int
    faces: int


def make_gate_video(
    engine: FaceEngine, photos: list[Path], out: Path, *, fps: int = 5, visit_frames: int = 10,
    gap_frames: int = 10, face_px: int = 190, seed: int = 7,
) -> list[Visit]:
    """Write the video to ``out`` (AVI, MJPG); the visits it shows, in order."""
    finder = FaceEngine(engine.models, DetectSettings(detect_width=1600))
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MJPG video to {out}")
    visits, frame = [], 0
    try:
        for path in photos:
            photo = cv2.imread(str(path))
            if photo is None:
                raise OSError(f"cannot read {path}")
            boxes = [box for box, _ in finder.detect(photo)]
            for _ in range(gap_frames):
                writer.write(_noisy(empty_scene(), rng))
            frame += gap_frames
            for step in range(visit_frames):
                zoom = 0.8 + 0.2 * step / max(visit_frames - 1, 1)
                writer.write(_noisy(_approach(photo, boxes, zoom, face_px), rng))
            visits.append(Visit(path.name, frame, frame + visit_frames - 1, len(boxes)))
            frame += visit_frames
        for _ in range(gap_frames):
            writer.write(_noisy(empty_scene(), rng))
    finally:
        writer.release()
    return visits


def empty_scene() -> np.ndarray:
    image = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
    image[SIZE[1] * 2 // 3:, :] = 70  # the ground
    cv2.rectangle(image, (40, 60), (140, SIZE[1] * 2 // 3), (60, 60, 60), -1)  # a gate post
    return image


def _approach(photo: np.ndarray, boxes: list, zoom: float, face_px: int) -> np.ndarray:
    """The photo scaled so its widest face is ``face_px * zoom`` wide, centred on its faces, in the frame."""
    height, width = photo.shape[:2]
    if boxes:
        widest = max(right - left for _, right, _, left in boxes)
        boxes = [b for b in boxes if b[1] - b[3] >= 0.6 * widest]  # centre on the people in front
        centre_x = (min(b[3] for b in boxes) + max(b[1] for b in boxes)) / 2
        centre_y = (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2
    else:
        widest, centre_x, centre_y = width / 3, width / 2, height / 2
    scale = face_px * zoom / widest
    resized = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = empty_scene()
    # put the faces' centre at the frame's centre, then paste what overlaps
    dx, dy = round(SIZE[0] / 2 - centre_x * scale), round(SIZE[1] / 2 - centre_y * scale)
    x0, y0 = max(0, dx), max(0, dy)
    x1, y1 = min(SIZE[0], dx + resized.shape[1]), min(SIZE[1], dy + resized.shape[0])
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resized[y0 - dy:y1 - dy, x0 - dx:x1 - dx]
    return canvas


def _noisy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0, 3.0, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
