"""Build the demo façade camera's video and calibration with the scene generator (tests/scenes).

Twenty seconds of a twelve-storey façade at 1280x720, 25 fps, by day: birds
and laundry, and two objects thrown from the 9th and 5th floors. Run by
``make demo`` when ``var/demo/facade-b3.mp4`` is missing; derived, never committed.

Usage: python scripts/make_demo_facade.py OUT_DIR
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the scene generator lives under tests/

from tests.scenes.render import SceneSpec, build_scene, write_video  # noqa: E402


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = SceneSpec(size=(1280, 720), fps=25.0, seconds=20.0, floors=12, throws=2,
                     distractors=("birds", "laundry"), seed=2026)
    scene = build_scene(spec)
    tmp = out_dir / ".facade-b3.tmp.mp4"
    write_video(scene, tmp)
    (out_dir / "facade-b3.calibration.json").write_text(json.dumps(scene.calibration(), indent=1))
    shutil.move(tmp, out_dir / "facade-b3.mp4")
    floors = ", ".join(str(t["floor"]) for t in scene.truth())
    print(f"demo façade video: {out_dir / 'facade-b3.mp4'} (throws from floors {floors})")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
