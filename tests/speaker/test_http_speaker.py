"""HttpSpeaker against the fake HTTP speaker: uploads and plays, credentials, failures, outages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.base import Command, DriverError, HealthState
from drivers.events import SpeakerPlayed
from drivers.peers.http_speaker import FakeHttpSpeaker
from drivers.speaker.http_ip.config import HttpSpeakerConfig
from drivers.speaker.http_ip.driver import HttpSpeaker
from drivers.speaker.wav import wav_duration
from tests.drivers.fakes import EventSink, eventually, running
from tests.speaker.conftest import write_wav

TOKEN = "t0ken-for-the-hall"


def speaker_driver(base_url: str, **overrides: object) -> tuple[HttpSpeaker, EventSink]:
    settings: dict[str, object] = {"id": "yard-speaker", "base_url": base_url, "timeout_s": 0.5}
    sink = EventSink()
    return HttpSpeaker(HttpSpeakerConfig.model_validate(settings | overrides), sink), sink


@pytest.fixture
async def http_speaker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeHttpSpeaker]:
    monkeypatch.setenv("SPEAKER_TEST_TOKEN", TOKEN)
    async with FakeHttpSpeaker(tmp_path / "uploads", token=TOKEN) as speaker:
        yield speaker


def bearer(speaker: FakeHttpSpeaker, **overrides: object) -> tuple[HttpSpeaker, EventSink]:
    return speaker_driver(speaker.base_url, token_env="SPEAKER_TEST_TOKEN", **overrides)


# --- playing ----------------------------------------------------------------------


async def test_a_wav_file_is_uploaded_then_played(http_speaker: FakeHttpSpeaker, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "fire drill.wav", 1.25)
    driver, sink = bearer(http_speaker)
    async with running(driver):
        result = await driver.execute(Command("speaker.play", {"wav_path": str(wav)}))
        assert (await driver.probe()).state is HealthState.ONLINE
    assert result.ok, result.detail
    assert result.data == {"clip_id": "clip-1", "duration_s": 1.25}
    assert http_speaker.uploads["clip-1"].read_bytes() == wav.read_bytes()
    assert http_speaker.plays == [{"clip_id": "clip-1"}]
    assert [(e.what, e.duration_s, e.result) for e in sink.of(SpeakerPlayed)] == [("fire drill.wav", 1.25, "ok")]


async def test_a_url_is_played_and_a_tone_is_rendered_and_uploaded(http_speaker: FakeHttpSpeaker) -> None:
    driver, sink = bearer(http_speaker)
    async with running(driver):
        by_url = await driver.execute(Command("speaker.play", {"url": "http://192.168.1.2/chime.mp3"}))
        tone = await driver.execute(Command("speaker.play", {"tone_hz": 880, "duration_s": 0.3}))
    assert by_url.ok and tone.ok and tone.data["duration_s"] == 0.3
    assert http_speaker.plays == [{"url": "http://192.168.1.2/chime.mp3"}, {"clip_id": "clip-1"}]
    assert wav_duration(http_speaker.uploads["clip-1"].read_bytes()) == pytest.approx(0.3)
    assert [(e.what, e.result) for e in sink.of(SpeakerPlayed)] == [
        ("http://192.168.1.2/chime.mp3", "ok"), ("tone 880 Hz", "ok")]


async def test_what_cannot_be_played_is_refused_here(http_speaker: FakeHttpSpeaker, tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not audio")
    driver, sink = bearer(http_speaker)
    async with running(driver):
        text = await driver.execute(Command("speaker.play", {"text": "Hello"}))
        missing = await driver.execute(Command("speaker.play", {"wav_path": str(tmp_path / "gone.wav")}))
        not_wav = await driver.execute(Command("speaker.play", {"wav_path": str(tmp_path / "notes.wav")}))
    assert "speaker.http_ip cannot play text (speech): it plays tones, URLs, WAV files" in text.detail
    assert "cannot play gone.wav" in missing.detail and "not a PCM WAV file" in not_wav.detail
    assert not (text.ok or missing.ok or not_wav.ok)
    assert http_speaker.requests == [("GET", "/api/status")] and sink.events == []


async def test_stop_and_volume(http_speaker: FakeHttpSpeaker) -> None:
    driver, _ = bearer(http_speaker)
    async with running(driver):
        assert (await driver.execute(Command("speaker.stop"))).ok
        assert (await driver.execute(Command("speaker.volume", {"level": 62.6}))).ok
        too_loud = await driver.execute(Command("speaker.volume", {"level": 101}))
    assert http_speaker.stops == 1 and http_speaker.volume == 63
    assert not too_loud.ok and "0 to 100" in too_loud.detail


# --- credentials --------------------------------------------------------------------


async def test_a_wrong_bearer_token_is_a_clear_connect_failure(
    http_speaker: FakeHttpSpeaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPEAKER_TEST_TOKEN", "stale")
    driver, _ = bearer(http_speaker)
    with pytest.raises(DriverError, match=r"refused our credentials \(HTTP 401 on /api/status\)"):
        await driver.connect()
    no_auth, _ = speaker_driver(http_speaker.base_url)
    with pytest.raises(DriverError, match="HTTP 401"):
        await no_auth.connect()
    unset, _ = speaker_driver(http_speaker.base_url, token_env="SPEAKER_TEST_UNSET")
    with pytest.raises(DriverError, match="environment variable SPEAKER_TEST_UNSET .*is not set"):
        await unset.connect()
    for each in (driver, no_auth, unset):
        await each.close()


async def test_http_basic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeHttpSpeaker(tmp_path, username="admin", password="pässword") as speaker:
        monkeypatch.setenv("SPEAKER_TEST_PW", "pässword")
        driver, _ = speaker_driver(speaker.base_url, username="admin", password_env="SPEAKER_TEST_PW")
        async with running(driver):
            assert (await driver.execute(Command("speaker.stop"))).ok
        monkeypatch.setenv("SPEAKER_TEST_PW", "guess")
        with pytest.raises(DriverError, match="refused our credentials"):
            await driver.connect()
        await driver.close()


# --- failures -----------------------------------------------------------------------


async def test_a_server_error_fails_the_command_and_degrades_the_probe(http_speaker: FakeHttpSpeaker) -> None:
    driver, sink = bearer(http_speaker)
    async with running(driver) as run:
        http_speaker.fail_next = 1
        result = await driver.execute(Command("speaker.play", {"url": "http://192.168.1.2/a.mp3"}))
        assert not result.ok and "HTTP 500: simulated failure" in result.detail
        http_speaker.fail_next = 1
        assert (await driver.probe()).state is HealthState.DEGRADED
        assert (await driver.probe()).state is HealthState.ONLINE
        assert not run.done()  # it answers: still connected
    assert [e.result for e in sink.of(SpeakerPlayed)] == ["failed"]


async def test_a_failed_upload_plays_nothing(http_speaker: FakeHttpSpeaker, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "a.wav", 0.1)
    driver, sink = bearer(http_speaker)
    async with running(driver):
        http_speaker.fail_next = 1
        result = await driver.execute(Command("speaker.play", {"wav_path": str(wav)}))
    assert not result.ok and "upload of a.wav failed: HTTP 500" in result.detail
    assert http_speaker.plays == [] and sink.events == []


async def test_a_speaker_that_hangs_up_is_offline(http_speaker: FakeHttpSpeaker) -> None:
    driver, sink = bearer(http_speaker)
    async with running(driver) as run:
        http_speaker.down = True
        probe = await driver.probe()
        assert probe.state is HealthState.OFFLINE and "/api/status" in probe.reason
        result = await driver.execute(Command("speaker.stop"))
        assert not result.ok
        await eventually(run.done)  # the supervisor reconnects
        assert isinstance(run.exception(), DriverError)
        with pytest.raises(DriverError, match="not usable"):
            await driver.connect()
        http_speaker.down = False
    async with running(driver):
        assert (await driver.probe()).state is HealthState.ONLINE
    assert sink.events == []


async def test_a_stopped_or_slow_speaker_is_offline(http_speaker: FakeHttpSpeaker) -> None:
    driver, _ = bearer(http_speaker)
    async with running(driver) as run:
        await http_speaker.stop()
        probe = await driver.probe()
        assert probe.state is HealthState.OFFLINE and "Cannot connect" in probe.reason
        await http_speaker.start()  # same port
        http_speaker.delay_s = 0.7  # longer than timeout_s
        result = await driver.execute(Command("speaker.play", {"url": "http://192.168.1.2/a.mp3"}))
        assert not result.ok and "timed out" in result.detail
        await eventually(run.done)
    assert isinstance(run.exception(), DriverError)
