"""Build the demo gate camera's video from the test photos (MIT, see tests/data/faces/NOTICE.md).

Each photo walks up to the camera for two seconds (a slow zoom), with an empty
scene between visitors, at 5 fps, 640x480, MJPG in AVI. Run by ``make demo``
when ``var/demo/gate-north.avi`` is missing; the file is derived, never committed.

Usage: python scripts/make_demo_video.py OUT.avi
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"
SIZE = (640, 480)
FPS = 5


def empty_scene(rng: np.random.Generator) -> np.ndarray:
    frame = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
    frame[SIZE[1] * 2 // 3 :, :] = 70  # the ground
    cv2.rectangle(frame, (40, 60), (140, SIZE[1] * 2 // 3), (60, 60, 60), -1)  # a gate post
    noise = rng.integers(-6, 7, frame.shape, dtype=np.int16)
    return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def approach(photo: np.ndarray, step: int, steps: int) -> np.ndarray:
    """The photo letterboxed into the frame, growing from 70 % to 100 % as the visitor walks up."""
    scale = 0.7 + 0.3 * step / max(steps - 1, 1)
    h, w = photo.shape[:2]
    fit = min(SIZE[0] / w, SIZE[1] / h) * scale
    resized = cv2.resize(photo, (max(1, int(w * fit)), max(1, int(h * fit))), interpolation=cv2.INTER_AREA)
    frame = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
    y, x = (SIZE[1] - resized.shape[0]) // 2, (SIZE[0] - resized.shape[1]) // 2
    frame[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return frame


def main(out: Path) -> int:
    photos = sorted((FACES / "test").glob("*.jpg"))
    if not photos:
        print(f"no photos under {FACES / 'test'}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    if not writer.isOpened():
        print("OpenCV cannot write MJPG video here", file=sys.stderr)
        return 1
    rng = np.random.default_rng(7)
    for path in photos:
        photo = cv2.imread(str(path))
        for _ in range(FPS):
            writer.write(empty_scene(rng))
        for step in range(2 * FPS):
            writer.write(approach(photo, step, 2 * FPS))
    writer.release()
    tmp.replace(out)
    print(f"demo video: {out} ({len(photos)} visitors)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
