"""The box's own audio output through the real ``aplay`` (ALSA's ``null`` device: no sound card here)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from drivers.base import Command, DriverError, HealthState
from drivers.events import SpeakerPlayed
from drivers.speaker.alsa.driver import AlsaSpeaker, AlsaSpeakerConfig
from tests.fakes import wait_until
from tests.speaker.conftest import write_wav


@pytest.fixture
async def speaker(tmp_path: Path):
    if shutil.which("aplay") is None:
        pytest.fail("aplay is missing: `make test` installs alsa-utils (scripts/system-packages.txt)")
    events: list = []

    async def emit(event) -> None:  # type: ignore[no-untyped-def]
        events.append(event)

    driver = AlsaSpeaker(AlsaSpeakerConfig(id="local", device="null"), emit)
    await driver.connect()
    task = asyncio.create_task(driver.run())
    driver.events = events  # type: ignore[attr-defined]
    yield driver
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await driver.close()


async def test_a_wav_and_a_tone_play_through_aplay(speaker: AlsaSpeaker, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "notice.wav", 0.5)
    result = await speaker.execute(Command("speaker.play", {"wav_path": str(wav)}))
    assert result.ok and result.data["duration_s"] == pytest.approx(0.5)
    await wait_until(lambda: len(speaker.events) == 1, 5)  # type: ignore[attr-defined]
    (played,) = speaker.events  # type: ignore[attr-defined]
    assert isinstance(played, SpeakerPlayed) and played.result == "ok" and played.duration_s == pytest.approx(0.5)
    assert "notice.wav" in played.what
    assert (await speaker.execute(Command("speaker.play", {"tone_hz": 880, "duration_s": 0.2}))).ok
    await wait_until(lambda: len(speaker.events) == 2, 5)  # type: ignore[attr-defined]
    assert speaker.events[1].result == "ok"  # type: ignore[attr-defined]


async def test_stop_ends_a_play_in_progress(speaker: AlsaSpeaker, tmp_path: Path) -> None:
    fifo_program = tmp_path / "aplay-slow"
    fifo_program.write_text('#!/bin/sh\nexec aplay "$@" /dev/stdin < /dev/zero\n')  # aplay on an endless stream
    fifo_program.chmod(0o755)
    slow = AlsaSpeaker(AlsaSpeakerConfig(id="slow", device="null", aplay=str(fifo_program)), speaker._emit)
    result = await slow.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 1.0}))
    assert result.ok
    stop = await slow.execute(Command("speaker.stop"))
    assert stop.ok and stop.detail == "stopped"
    await slow.close()


async def test_bad_requests_and_a_missing_device(speaker: AlsaSpeaker, tmp_path: Path) -> None:
    refused = await speaker.execute(Command("speaker.play", {"text": "你好"}))
    assert not refused.ok and "cannot play" in refused.detail
    assert not (await speaker.execute(Command("speaker.play", {"wav_path": str(tmp_path / "nope.wav")}))).ok
    assert (await speaker.execute(Command("speaker.volume", {"level": 30}))).detail == "volume 30 %"
    missing = AlsaSpeaker(AlsaSpeakerConfig(id="x", device="no_such_device_here"), speaker._emit)
    assert (await missing.probe()).state is HealthState.OFFLINE
    with pytest.raises(DriverError, match="no device"):
        await missing.connect()
    absent = AlsaSpeaker(AlsaSpeakerConfig(id="y", aplay="/nonexistent/aplay"), speaker._emit)
    with pytest.raises(DriverError, match="alsa-utils"):
        await absent.connect()
    await missing.close()
    await absent.close()
