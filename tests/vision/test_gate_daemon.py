"""End to end in the daemon: a camera plays visitors, a resident is let in, a stranger is reported.

The face camera is the simulator playing a video made from the photos (the
only part that is not real hardware); the gallery, the worker processes, the
grants and the simulated gate are the daemon's own. A resident enrolled while
the daemon runs is recognised on the video's next loop, without a restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from edge.cli import main
from edge.cli.status_cmd import render
from edge.daemon.app import Daemon
from edge.store import EventReader
from edge.timesync import ClockSync
from edge.vision.faces.demo_video import make_gate_video
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.sites import load_site
from tests.vision.conftest import FACES

pytestmark = pytest.mark.slow

CAMERAS = {  # the simulator, and the real camera driver reading the same video as its stream (in cam-1's table)
    "sim.face_camera": 'kind = "sim.face_camera"\nvideo = "{video}"\n',
    "camera.face": 'kind = "camera.face"\nurl = "{video}"\n',
}


def events(daemon: Daemon, *types: str) -> list:
    with EventReader(daemon.writer.path) as reader:
        return [e for e in reader.iter_all() if e.type in types]


def enroll(db: Path, person: str) -> None:
    photos = [str(p) for p in sorted((FACES / "train" / person).iterdir())]
    assert main(["faces", "enroll", "--db", str(db), "--person-id", person, "--name", person,
                 "--category", "resident", *photos]) == 0


@pytest.mark.parametrize("camera", CAMERAS)
async def test_a_resident_opens_the_gate_and_a_stranger_is_reported(tmp_path, still_engine, camera) -> None:
    video = tmp_path / "gate.avi"
    await asyncio.to_thread(make_gate_video, still_engine,
                            [FACES / "test" / "obama1.jpg", FACES / "test" / "kit_with_rose.jpg"], video)
    data = tmp_path / "var"
    data.mkdir()
    await asyncio.to_thread(enroll, data / "events.db", "obama")
    config = load_site("gate-faces", data=data, video=video, extra=CAMERAS[camera])
    async with running_daemon(config, clock_sync=ClockSync(fixed=False), within_s=30) as running:
        daemon = running.daemon
        await wait_until(lambda: any(e.data["person_id"] == "obama" for e in events(daemon, "face.granted")),
                         timeout=60)
        await wait_until(lambda: len(events(daemon, "face.stranger")) >= 2, timeout=60)  # kit and rose
        await asyncio.to_thread(enroll, data / "events.db", "rose_leslie")  # while the daemon runs
        await wait_until(lambda: any(e.data["person_id"] == "rose_leslie" for e in events(daemon, "face.granted")),
                         timeout=60)
        status = daemon.status()["faces"]
        shown = render(daemon.status())
    assert status["templates"] == 4 and status["people"] == 2 and status["error"] is None
    assert "faces: 4 templates of 2 people; cam-1 " in shown and status["cameras"]["cam-1"]["encoded"] > 0

    granted = events(daemon, "face.granted")
    obama = next(e for e in granted if e.data["person_id"] == "obama")
    assert obama.device_id == "cam-1" and obama.priority == 3
    assert obama.data["gate"] == "gate-1" and obama.data["gate_opened"] is True
    assert obama.data["grant_id"] == "local:residents" and 0 < obama.data["distance"] <= 0.5
    assert "template" not in str(obama.data) and "encoding" not in str(obama.data)
    opened = [e for e in events(daemon, "command.result") if e.data["source"] == "face"]
    assert opened and all(e.device_id == "gate-1" and e.data["ok"] for e in opened)
    assert any(e.data.get("state") == "open" for e in events(daemon, "gate.relay"))

    changes = [e.data for e in events(daemon, "faces.gallery_changed")]
    assert changes[0] == {"added": 2, "removed": 0, "templates": 2, "people": 1}  # obama, at start
    assert changes[-1] == {"added": 2, "removed": 0, "templates": 4, "people": 2}  # rose, enrolled live

    stranger = events(daemon, "face.stranger")[0]
    assert stranger.priority == 2 and stranger.data["person_id"] is None
    (snapshot,) = stranger.media
    assert snapshot.kind == "face.snapshot" and snapshot.content_type == "image/jpeg"
    assert daemon.media.path_for(snapshot.sha256).read_bytes()[:2] == b"\xff\xd8"
