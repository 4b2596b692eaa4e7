"""Build the demo gate camera's video from the test photos (MIT, see tests/data/faces/NOTICE.md).

Each visitor walks up to the camera for two seconds at 5 fps, 640x480, MJPG
in AVI (see edge/vision/faces/demo_video.py). Run by ``make demo`` when
``var/demo/gate-north.avi`` is missing; the file is derived, never committed.

Usage: python scripts/make_demo_video.py OUT.avi
"""

from __future__ import annotations

import sys
from pathlib import Path

from edge.vision.faces.demo_video import make_gate_video
from edge.vision.faces.engine import FaceEngine
from edge.vision.faces.models import load_models

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"


def main(out: Path) -> int:
    photos = sorted((FACES / "test").glob("*.jpg"))
    if not photos:
        print(f"no photos under {FACES / 'test'}", file=sys.stderr)
        return 1
    tmp = out.with_name(f".{out.name}.tmp.avi")
    visits = make_gate_video(FaceEngine(load_models()), photos, tmp)
    tmp.replace(out)
    print(f"demo video: {out} ({len(visits)} visitors)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
