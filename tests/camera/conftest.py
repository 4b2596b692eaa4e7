"""Fixtures for the camera tests: small videos made on the fly, a real HTTP MJPEG camera, an event recorder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.peers.mjpeg_camera import MjpegCamera
from tests.drivers.fakes import threads_named

MakeVideo = Callable[..., Path]


def write_video(path: Path, width: int, height: int, frames: int, fps: float = 25.0) -> Path:
    """MJPG in AVI; frame i is grey level (i * 8) % 256 with its number written on it."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        image = np.full((height, width, 3), (i * 8) % 256, np.uint8)
        cv2.putText(image, str(i), (4, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        writer.write(image)
    writer.release()
    return path


@pytest.fixture
def make_video(tmp_path: Path) -> MakeVideo:
    def make(name: str = "clip.avi", width: int = 160, height: int = 120, frames: int = 25, fps: float = 25.0) -> Path:
        return write_video(tmp_path / name, width, height, frames, fps)

    return make


@pytest.fixture
def clip(make_video: MakeVideo) -> Path:
    """One second of 160x120 at 25 fps."""
    return make_video()


@pytest.fixture
async def http_camera(clip: Path) -> AsyncIterator[MjpegCamera]:
    """A real network camera serving ``clip`` as HTTP MJPEG on a free loopback port."""
    async with MjpegCamera(clip) as camera:
        yield camera


@pytest.fixture(autouse=True)
def no_camera_thread_left_behind() -> Iterator[None]:
    yield
    assert threads_named("camera:") == []


