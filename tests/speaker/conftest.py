"""Fixtures of the speaker driver tests: a real mosquitto, the fake cloud speaker on it, WAV files and a web server."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web

from drivers.peers.cloud_speaker import FakeCloudSpeaker
from drivers.speaker.mqtt_cloud.config import CloudSpeakerConfig
from tests.mqtt.broker import MosquittoBroker

PREFIX = "speakers"
SERIAL = "SN-4G-0042"


def cloud_config(port: int, **overrides: object) -> CloudSpeakerConfig:
    settings: dict[str, object] = {
        "id": "hall-speaker", "host": "127.0.0.1", "port": port, "prefix": PREFIX, "serial": SERIAL,
        "ack_timeout_s": 0.5, "status_grace_s": 0, "keepalive_s": 5, "connect_timeout_s": 2,
    }
    return CloudSpeakerConfig.model_validate(settings | overrides)


def write_wav(path: Path, seconds: float, rate: int = 16_000) -> Path:
    """A 440 Hz mono 16-bit WAV, written with the stdlib wave module."""
    samples = (8000 * np.sin(2 * np.pi * 440 * np.arange(round(seconds * rate)) / rate)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    async with MosquittoBroker(tmp_path / "broker") as broker:
        yield broker


@pytest.fixture
async def cloud_speaker(broker: MosquittoBroker, tmp_path: Path) -> AsyncIterator[FakeCloudSpeaker]:
    speaker = FakeCloudSpeaker("127.0.0.1", broker.port, PREFIX, SERIAL, tmp_path / "played")
    await speaker.start()
    yield speaker
    await speaker.stop()


@pytest.fixture
async def wav_site(tmp_path: Path) -> AsyncIterator[str]:
    """A web server on 127.0.0.1 serving ``/chime.wav`` (0.5 s); yields its base URL."""
    chime = write_wav(tmp_path / "chime.wav", 0.5)

    async def serve_chime(request: web.Request) -> web.FileResponse:
        return web.FileResponse(chime)

    app = web.Application()
    app.router.add_get("/chime.wav", serve_chime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
