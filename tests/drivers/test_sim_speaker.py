"""SimSpeaker: tones and WAV files written to disk, volume, playing time, stop, unplugging."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from drivers.base import Command, CommandResult, DriverError
from drivers.events import SpeakerPlayed
from drivers.sim.speaker import SimSpeaker, SimSpeakerConfig
from tests.drivers.fakes import EventSink, running
from tests.fakes import FakeClock


def make_speaker(tmp_path: Path, **settings: object) -> tuple[SimSpeaker, EventSink, FakeClock]:
    sink, clock = EventSink(), FakeClock()
    config = SimSpeakerConfig(id="speaker-1", out_dir=tmp_path / "out", **settings)
    return SimSpeaker(config, sink, clock), sink, clock


def read_samples(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), np.frombuffer(wav.readframes(wav.getnframes()), "<i2")


def write_wav(path: Path, samples: np.ndarray, rate: int = 8000, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes() if width == 2 else samples.astype(np.uint8).tobytes())
    return path


def played(sink: EventSink) -> list[tuple[str, float, str]]:
    return [(e.what, e.duration_s, e.result) for e in sink.of(SpeakerPlayed)]


async def test_tone_is_rendered_written_and_played_for_its_duration(tmp_path: Path) -> None:
    speaker, sink, clock = make_speaker(tmp_path, sample_rate=16_000, volume=100)
    async with running(speaker):
        result = await speaker.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 1.5}))
        assert result.ok and result.detail == "playing tone 440 Hz"
        path = Path(result.data["path"])
        assert path.parent == tmp_path / "out" and path.name.endswith("-tone-440-hz.wav")
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
        rate, channels, samples = read_samples(path)
        assert (rate, channels, len(samples)) == (16_000, 1, 24_000)
        assert 16_000 < np.abs(samples).max() <= 16_384  # half of full scale
        assert speaker.playing == "tone 440 Hz"
        await clock.advance(1.4)
        assert sink.events == []
        await clock.advance(0.1)
        assert speaker.playing is None
    assert played(sink) == [("tone 440 Hz", 1.5, "ok")]


async def test_wav_file_is_copied_at_its_own_rate_and_scaled_by_volume(tmp_path: Path) -> None:
    source = write_wav(tmp_path / "Door Bell.wav", np.full(4000, 10_000), rate=8000)
    speaker, sink, clock = make_speaker(tmp_path, sample_rate=16_000)
    async with running(speaker):
        assert await speaker.execute(Command("speaker.volume", {"level": 25})) == CommandResult(True, "volume 25")
        result = await speaker.execute(Command("speaker.play", {"wav_path": str(source)}))
        assert result.ok and result.data["duration_s"] == pytest.approx(0.5)
        rate, _, samples = read_samples(Path(result.data["path"]))
        assert rate == 8000 and len(samples) == 4000 and set(samples.tolist()) == {2500}
        await clock.advance(0.5)
    assert played(sink) == [("Door Bell.wav", 0.5, "ok")]


async def test_stop_cuts_the_clip_short_and_a_new_play_interrupts(tmp_path: Path) -> None:
    speaker, sink, clock = make_speaker(tmp_path)
    async with running(speaker):
        assert (await speaker.execute(Command("speaker.stop"))).detail == "nothing playing"
        await speaker.execute(Command("speaker.play", {"tone_hz": 300, "duration_s": 10}))
        await clock.advance(2)
        await speaker.execute(Command("speaker.play", {"tone_hz": 600, "duration_s": 10}))
        await clock.advance(3)
        assert await speaker.execute(Command("speaker.stop")) == CommandResult(True, "stopped")
        await clock.advance(20)  # the stopped clip's end does not come
    assert played(sink) == [("tone 300 Hz", 2.0, "interrupted"), ("tone 600 Hz", 3.0, "stopped")]
    assert len(list((tmp_path / "out").glob("*.wav"))) == 2


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"tone_hz": 440},
        {"tone_hz": 5, "duration_s": 1},
        {"tone_hz": 440, "duration_s": 61},
        {"tone_hz": 440, "duration_s": 1, "wav_path": "x.wav"},
        {"wav_path": 3},
        {"text": "hello"},
    ],
)
async def test_bad_play_arguments_are_refused(tmp_path: Path, args: dict) -> None:
    speaker, sink, _ = make_speaker(tmp_path)
    result = await speaker.execute(Command("speaker.play", args))
    assert not result.ok and result.detail
    assert not (tmp_path / "out").exists() and sink.events == []


async def test_bad_wav_files_are_refused(tmp_path: Path) -> None:
    speaker, _, _ = make_speaker(tmp_path)
    not_wav = tmp_path / "noise.wav"
    not_wav.write_bytes(b"definitely not RIFF" * 10)
    eight_bit = write_wav(tmp_path / "8bit.wav", np.full(100, 128), width=1)
    for path in (tmp_path / "missing.wav", not_wav, eight_bit):
        result = await speaker.execute(Command("speaker.play", {"wav_path": str(path)}))
        assert not result.ok and result.detail.startswith(f"cannot play {path.name}")
    assert list((tmp_path / "out").glob("*")) == []


async def test_volume_bounds(tmp_path: Path) -> None:
    speaker, _, _ = make_speaker(tmp_path, volume=80)
    for bad in ({"level": 101}, {"level": -1}, {"level": "loud"}, {}):
        assert not (await speaker.execute(Command("speaker.volume", bad))).ok
    assert speaker.volume == 80
    silent = await speaker.execute(Command("speaker.volume", {"level": 0}))
    assert silent.ok and speaker.volume == 0
    result = await speaker.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 0.1}))
    assert not read_samples(Path(result.data["path"]))[2].any()


async def test_unplugging_cuts_the_clip_and_reports_it_once_back(tmp_path: Path) -> None:
    speaker, sink, clock = make_speaker(tmp_path)
    async with running(speaker) as task:
        await speaker.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 5}))
        await clock.advance(1)
        await speaker.execute(Command("sim.unplug"))
        await asyncio.wait([task], timeout=1)
        assert isinstance(task.exception(), DriverError)
    unplugged_at = clock.now()
    assert await speaker.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 1})) == CommandResult(
        False, "offline"
    )
    await clock.advance(10)
    assert sink.events == []
    await speaker.execute(Command("sim.replug"))
    async with running(speaker):
        pass
    assert played(sink) == [("tone 440 Hz", 1.0, "unplugged")]
    assert sink.events[0].occurred_at == unplugged_at
