"""A simulated speaker: "playing" writes the audio to a folder.

``speaker.play`` takes either ``{"wav_path": "..."}`` (a 16-bit PCM WAV file,
checked and copied, at its own sample rate) or ``{"tone_hz": 440,
"duration_s": 1.5}`` (a sine tone rendered at ``sample_rate``). The audio,
scaled by the volume (``speaker.volume {"level": 0..100}``), is written
atomically to ``out_dir`` as ``<time>-<n>-<what>.wav`` and the command answers
at once with ``data={"path", "duration_s"}``. Playing then takes that long on
the clock; when it ends the driver emits ``SpeakerPlayed(result="ok")``.
``speaker.stop`` cuts it short (``"stopped"``), a new ``speaker.play``
replaces it (``"interrupted"``) and unplugging cuts it (``"unplugged"``,
reported once the speaker is back). ``duration_s`` in the event is how much
was played.

File work runs in a worker thread, never on the event loop. Text-to-speech
is not done here.
"""

from __future__ import annotations

import asyncio
import os
import re
import wave
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from drivers.base import Clock, Command, CommandResult, DriverConfig, Emit
from drivers.capabilities import SPEAKER_COMMANDS, Speaker
from drivers.events import SpeakerPlayed
from drivers.sim import PLUG_COMMANDS, SimDriver


class SimSpeakerConfig(DriverConfig):
    kind: Literal["sim.speaker"] = "sim.speaker"
    out_dir: Path = Field(
        Path("speaker-out"), title="Output folder",
        description="Where played audio is written as WAV files (the daemon passes an absolute path).",
    )
    sample_rate: int = Field(
        16_000, ge=8_000, le=48_000, title="Sample rate (Hz)",
        description="For rendered tones; WAV files keep their own rate.",
    )
    volume: int = Field(80, ge=0, le=100, title="Volume at start (%)")
    max_duration_s: float = Field(
        60.0, gt=0, le=600, title="Longest clip (s)", description="Longer tones or files are refused.",
    )


@dataclass(frozen=True, slots=True)
class Audio:
    rate: int
    channels: int
    samples: np.ndarray  # int16, channels interleaved

    @property
    def duration_s(self) -> float:
        return len(self.samples) / (self.rate * self.channels)


def read_wav(path: Path, max_duration_s: float) -> Audio:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV files can be played")
        rate, channels, frames = wav.getframerate(), wav.getnchannels(), wav.getnframes()
        if frames == 0:
            raise ValueError("the WAV file holds no audio")
        if frames / rate > max_duration_s:
            raise ValueError(f"longer than {max_duration_s:g} s")
        samples = np.frombuffer(wav.readframes(frames), dtype="<i2")
    return Audio(rate, channels, samples)


def render_tone(hz: float, duration_s: float, rate: int) -> Audio:
    """A sine at half of full scale, with 10 ms fades so it does not click."""
    count = max(1, round(duration_s * rate))
    signal = 0.5 * np.sin(2 * np.pi * hz * np.arange(count) / rate)
    fade = min(count // 2, rate // 100)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        signal[:fade] *= ramp
        signal[-fade:] *= ramp[::-1]
    return Audio(rate, 1, (signal * 32767).astype("<i2"))


def write_wav_atomically(path: Path, audio: Audio, volume: float) -> None:
    """Write ``audio`` scaled to ``volume`` % as ``path``: a hidden temporary file, then a rename."""
    scaled = np.clip(np.rint(audio.samples * (volume / 100)), -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as file:
            with wave.open(file, "wb") as wav:
                wav.setnchannels(audio.channels)
                wav.setsampwidth(2)
                wav.setframerate(audio.rate)
                wav.writeframes(scaled.tobytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_to(load: Callable[[], Audio], path: Path, volume: float) -> float:
    """Load or render a clip and write it; the clip's length in seconds. Runs in a worker thread."""
    audio = load()
    write_wav_atomically(path, audio, volume)
    return audio.duration_s


def parse_play(args: dict[str, Any], config: SimSpeakerConfig) -> tuple[str, Callable[[], Audio]]:
    """What ``speaker.play`` asks for: a label for events and how to load or render it."""
    if set(args) == {"wav_path"} and isinstance(args["wav_path"], str) and args["wav_path"]:
        path = Path(args["wav_path"])
        return path.name, partial(read_wav, path, config.max_duration_s)
    if set(args) == {"tone_hz", "duration_s"}:
        hz = _number(args, "tone_hz", 20, 20_000)
        duration_s = _number(args, "duration_s", 0.01, config.max_duration_s)
        return f"tone {hz:g} Hz", partial(render_tone, hz, duration_s, config.sample_rate)
    raise ValueError('speaker.play takes {"wav_path": str} or {"tone_hz": number, "duration_s": number}')


def _number(args: dict[str, Any], key: str, low: float, high: float) -> float:
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


@dataclass(frozen=True, slots=True)
class _Clip:
    what: str
    path: Path
    duration_s: float
    started_at: float  # monotonic


class SimSpeaker(SimDriver, Speaker):
    config_model = SimSpeakerConfig
    commands: ClassVar[frozenset[str]] = PLUG_COMMANDS | SPEAKER_COMMANDS
    #: what ``speaker.play`` takes here: a WAV file or a tone (text is spoken by the box first)
    plays: ClassVar[frozenset[str]] = frozenset({"wav", "tone"})
    config: SimSpeakerConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        super().__init__(config, emit, clock)
        self._volume: float = self.config.volume
        self._clip: _Clip | None = None
        self._written = 0

    @property
    def volume(self) -> float:
        return self._volume

    @property
    def playing(self) -> str | None:
        """What is playing now, or None."""
        return None if self._clip is None else self._clip.what

    async def run(self) -> None:
        self._raise_if_failed()
        await self._run_timeline()

    async def _handle(self, command: Command) -> CommandResult:
        match command.type:
            case "speaker.play":
                return await self._play(command.args)
            case "speaker.stop":
                return CommandResult(True, "stopped" if await self._finish("stopped") else "nothing playing")
            case "speaker.volume":
                return self._set_volume(command.args)
        return await super()._handle(command)

    async def _play(self, args: dict[str, Any]) -> CommandResult:
        try:
            what, load = parse_play(args, self.config)
        except ValueError as exc:
            return CommandResult(False, str(exc))
        path = self._next_path(what)
        try:
            duration_s = await asyncio.to_thread(render_to, load, path, self._volume)
        except (OSError, EOFError, wave.Error, ValueError) as exc:
            return CommandResult(False, f"cannot play {what}: {exc}")
        if self.unplugged:  # the cable went while the file was being written
            await asyncio.to_thread(path.unlink, missing_ok=True)
            return CommandResult(False, "offline")
        await self._finish("interrupted")
        self._clip = _Clip(what, path, duration_s, self.clock.monotonic())
        self._schedule("playing", duration_s, self._end_of_clip)
        return CommandResult(True, f"playing {what}", {"path": str(path), "duration_s": duration_s})

    def _set_volume(self, args: dict[str, Any]) -> CommandResult:
        try:
            level = _number(args, "level", 0, 100) if set(args) == {"level"} else None
        except ValueError as exc:
            return CommandResult(False, str(exc))
        if level is None:
            return CommandResult(False, 'speaker.volume takes {"level": 0..100}')
        self._volume = level
        return CommandResult(True, f"volume {level:g}")

    async def _end_of_clip(self) -> None:
        await self._finish("ok")

    async def _finish(self, result: str) -> bool:
        """End the clip playing now, if any, and report it."""
        event = self._played(result)
        if event is None:
            return False
        await self.emit(event)
        return True

    def _on_unplug(self) -> None:
        event = self._played("unplugged")
        if event is not None:  # reported by run() once the speaker is back
            self._schedule("playing", 0, partial(self.emit, event))

    def _played(self, result: str) -> SpeakerPlayed | None:
        clip, self._clip = self._clip, None
        if clip is None:
            return None
        self._cancel("playing")
        played_s = min(clip.duration_s, self.clock.monotonic() - clip.started_at)
        return SpeakerPlayed(what=clip.what, duration_s=round(played_s, 3), result=result, occurred_at=self.clock.now())

    def _next_path(self, what: str) -> Path:
        self._written += 1
        slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")[:40] or "clip"
        return self.config.out_dir / f"{self.clock.now():%Y%m%dT%H%M%S%f}-{self._written:04d}-{slug}.wav"
