"""``speaker.alsa``: the box's own audio output, through ALSA's ``aplay``.

``speaker.play`` with a WAV (or a tone, rendered to a WAV first) starts
``aplay -D <device> -q <file>`` and returns once it has started; the clip's
length comes back as ``duration_s``. ``speaker.stop`` ends the running
``aplay``. Volume is applied to the samples (0-100 %), so it needs no mixer
control that differs from card to card. Each play ends with a
``speaker.played`` event: ``ok``, ``stopped`` or ``failed: <aplay's words>``.
The probe asks ``aplay -L`` whether the device exists.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
import wave
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from drivers.base import Command, CommandResult, DriverConfig, DriverError, HealthState, Probe
from drivers.capabilities import SPEAKER_COMMANDS, Speaker
from drivers.events import SpeakerPlayed
from drivers.speaker.commands import PlayTone, PlayWav, parse_play, parse_volume
from drivers.speaker.wav import load_wav, tone_wav, wav_duration

_MAX_CLIP_S = 600.0


class AlsaSpeakerConfig(DriverConfig):
    kind: Literal["speaker.alsa"] = "speaker.alsa"
    device: str = Field("default", min_length=1, title="ALSA device", description="e.g. default, hw:0,0, plughw:1,0")
    volume: int = Field(80, ge=0, le=100, title="Volume (%)")
    aplay: str = Field("aplay", title="aplay program")


class AlsaSpeaker(Speaker):
    config_model = AlsaSpeakerConfig
    commands: ClassVar[frozenset[str]] = SPEAKER_COMMANDS
    plays: ClassVar[frozenset[str]] = frozenset({"wav", "tone"})
    config: AlsaSpeakerConfig

    def __init__(self, config, emit, clock=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        self._volume = config.volume
        self._player: asyncio.subprocess.Process | None = None
        self._stopped = False
        self._finished: asyncio.Queue[tuple[str, float, str]] = asyncio.Queue()
        self._scratch = Path(tempfile.mkdtemp(prefix=f"edge-{config.id}-"))
        self._watcher: asyncio.Task[None] | None = None
        self._busy = asyncio.Lock()  # one play or stop at a time: never two aplay at once

    async def connect(self) -> None:
        if shutil.which(self.config.aplay) is None:
            raise DriverError(f"{self.config.aplay} not found (Debian: apt-get install alsa-utils)")
        probe = await self.probe()
        if probe.state is HealthState.OFFLINE:
            raise DriverError(probe.reason)

    async def run(self) -> None:
        while True:  # report each play as it ends
            what, duration, result = await self._finished.get()
            await self.emit(SpeakerPlayed(what=what, duration_s=duration, result=result))

    async def probe(self) -> Probe:
        if self.config.device in ("default", "null") or self.config.device.startswith(("hw:", "plughw:")):
            return Probe(HealthState.ONLINE)
        listing = await _output(self.config.aplay, "-L")
        if self.config.device not in listing.split():
            return Probe(HealthState.OFFLINE, f"ALSA has no device {self.config.device!r}")
        return Probe(HealthState.ONLINE)

    async def execute(self, command: Command) -> CommandResult:
        try:
            if command.type == "speaker.play":
                request = parse_play(command.args, self.plays, self.config.kind)
                async with self._busy:
                    return await self._play(request)
            if command.type == "speaker.stop":
                async with self._busy:
                    return CommandResult(True, "stopped" if await self._stop() else "nothing was playing")
            if command.type == "speaker.volume":
                self._volume = parse_volume(command.args)
                return CommandResult(True, f"volume {self._volume} %")
        except (ValueError, OSError) as exc:  # a malformed request, a missing or unreadable file
            return CommandResult(False, str(exc))
        return await super().execute(command)

    async def close(self) -> None:
        async with self._busy:
            await self._stop()
        shutil.rmtree(self._scratch, ignore_errors=True)  # made again by the next play

    async def _play(self, request: PlayWav | PlayTone) -> CommandResult:
        await self._stop()  # one clip at a time: a new play replaces the old
        if isinstance(request, PlayWav):
            data, duration = await asyncio.to_thread(load_wav, request.path, _MAX_CLIP_S)
        else:
            data = await asyncio.to_thread(tone_wav, request.hz, request.duration_s)
            duration = wav_duration(data)
        self._scratch.mkdir(parents=True, exist_ok=True)
        clip = self._scratch / "clip.wav"
        await asyncio.to_thread(_write_scaled, clip, data, self._volume)
        self._stopped = False
        self._player = await asyncio.create_subprocess_exec(
            self.config.aplay, "-D", self.config.device, "-q", str(clip),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        self._watch(self._player, request.what, duration)
        return CommandResult(True, f"playing {duration:.1f} s", {"duration_s": duration})

    def _watch(self, player: asyncio.subprocess.Process, what: str, duration: float) -> None:
        async def wait() -> None:
            _, err = await player.communicate()
            result = "stopped" if self._stopped else ("ok" if player.returncode == 0 else
                                                      f"failed: {err.decode(errors='replace').strip()[:200]}")
            await self._finished.put((what, duration, result))

        self._watcher = asyncio.get_running_loop().create_task(wait(), name=f"{self.device_id}:aplay")

    async def _stop(self) -> bool:
        player, self._player = self._player, None
        if player is None or player.returncode is not None:
            return False
        self._stopped = True
        player.terminate()
        if self._watcher is not None:
            try:
                async with asyncio.timeout(2.0):
                    await asyncio.shield(self._watcher)
            except TimeoutError:
                player.kill()
                await self._watcher
        return True


async def _output(program: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        program, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    return out.decode(errors="replace")


def _write_scaled(path: Path, data: bytes, volume: int) -> None:
    """Write the 16-bit WAV in ``data`` to ``path`` at ``volume`` percent."""
    with wave.open(io.BytesIO(data), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    if params.sampwidth != 2:
        raise ValueError("only 16-bit PCM WAV files can be played")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) * (volume / 100)
    with wave.open(str(path), "wb") as target:
        target.setparams(params)
        target.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
