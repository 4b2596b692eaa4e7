"""The face worker processes: the daemon's analysis runs there, and a dead worker is replaced."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from edge.vision.faces.engine import DetectSettings
from edge.vision.faces.workers import FaceWorkers, PhotoError, WorkerLost
from tests.vision.conftest import FACES, read

pytestmark = pytest.mark.slow


def worker_pids() -> list[int]:
    return [
        child.pid for child in psutil.Process().children(recursive=True)
        if any("spawn_main" in part for part in child.cmdline())
    ]


async def test_a_killed_worker_is_replaced_and_analysis_carries_on() -> None:
    workers = FaceWorkers(DetectSettings(detect_width=1280), workers=1)
    await workers.start()
    try:
        image = read("two_people.jpg")
        assert len(await workers.analyze(image)) == 2
        (pid,) = worker_pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerLost):
            await workers.analyze(image)
        assert workers.restarts == 1
        assert len(await workers.analyze(image)) == 2
        assert worker_pids() != [pid]
    finally:
        await workers.close()
    assert worker_pids() == []


async def test_photos_are_encoded_in_the_workers_with_clear_refusals() -> None:
    workers = FaceWorkers(DetectSettings(detect_width=1280), workers=1)
    await workers.start()
    try:
        face = await workers.encode_photo((FACES / "obama_small.jpg").read_bytes())
        assert face.encoding is not None and face.encoding.shape == (128,)
        with pytest.raises(PhotoError, match="2 faces found"):
            await workers.encode_photo((FACES / "two_people.jpg").read_bytes())
        with pytest.raises(PhotoError, match="not an image"):
            await workers.encode_photo(b"GIF89a but not really")
    finally:
        await workers.close()
