"""An IP speaker with an HTTP API (kind ``speaker.http_ip``).

Commands (see :mod:`drivers.speaker.commands`): ``speaker.play`` with
``{"url"}`` (the speaker fetches it), ``{"wav_path"}`` (the file is read,
checked, uploaded, then its clip played) or ``{"tone_hz", "duration_s"}`` (a
tone rendered here and uploaded likewise); ``speaker.stop``;
``speaker.volume {"level": 0..100}``. The speaker has no text-to-speech here.

A play the speaker answered is reported as ``SpeakerPlayed`` (``result``
``"ok"`` if it accepted it, else ``"failed"``; ``duration_s`` from its answer,
else the WAV's length, else 0) before the command returns
``CommandResult(ok, ..., {"clip_id"?, "duration_s"?})``. A failed upload plays
nothing and reports nothing.

Health: ``connect`` opens an aiohttp session (closed by ``close``) and asks
``GET status``; it fails if the speaker does not answer or refuses the
credentials. HTTP has no connection to watch, so ``run`` waits until a
command finds the speaker unreachable or refusing the credentials, then raises
``DriverError`` (the supervisor reconnects with back-off). ``probe`` asks the
status: OFFLINE if unreachable or refused, DEGRADED if it answers an error.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import aiohttp

from drivers.base import (
    Clock,
    Command,
    CommandResult,
    DriverConfig,
    DriverError,
    Emit,
    HealthState,
    Probe,
)
from drivers.capabilities import SPEAKER_COMMANDS, Speaker
from drivers.events import SpeakerPlayed
from drivers.speaker.commands import (
    PlayTone,
    PlayUrl,
    PlayWav,
    check_stop,
    parse_play,
    parse_volume,
)
from drivers.speaker.credentials import secret_from_env
from drivers.speaker.http_ip.api import Reply, SpeakerApi, SpeakerUnavailable
from drivers.speaker.http_ip.config import HttpSpeakerConfig
from drivers.speaker.wav import load_wav, tone_wav


class HttpSpeaker(Speaker):
    config_model = HttpSpeakerConfig
    commands: ClassVar[frozenset[str]] = SPEAKER_COMMANDS
    plays: ClassVar[frozenset[str]] = frozenset({"url", "wav", "tone"})
    config: HttpSpeakerConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        if not isinstance(config, HttpSpeakerConfig):
            raise TypeError(f"HttpSpeaker needs an HttpSpeakerConfig, not {type(config).__name__}")
        super().__init__(config, emit, clock)
        self._session: aiohttp.ClientSession | None = None
        self._api: SpeakerApi | None = None
        self._lost = asyncio.Event()
        self._lost_reason = ""

    # --- life cycle ----------------------------------------------------------

    async def connect(self) -> None:
        await self.close()
        session = aiohttp.ClientSession(
            headers=self._auth_headers(), timeout=aiohttp.ClientTimeout(total=self.config.timeout_s)
        )
        try:
            api = SpeakerApi(session, self.config)
            await api.status()  # an error answer still connects: the probe then says DEGRADED
        except SpeakerUnavailable as exc:
            await session.close()
            raise DriverError(f"speaker at {self.config.base_url} not usable: {exc}") from exc
        except BaseException:
            await session.close()
            raise
        self._session, self._api = session, api
        self._lost.clear()

    async def run(self) -> None:
        if self._api is None:
            raise DriverError("not connected")
        await self._lost.wait()
        raise DriverError(self._lost_reason)

    async def probe(self) -> Probe:
        api = self._api
        if api is None:
            return Probe(HealthState.OFFLINE, "not connected")
        try:
            reply = await api.status()
        except SpeakerUnavailable as exc:
            return Probe(HealthState.OFFLINE, str(exc))
        if not reply.ok:
            return Probe(HealthState.DEGRADED, f"status: {reply.error}")
        return Probe(HealthState.ONLINE)

    async def close(self) -> None:
        session, self._session, self._api = self._session, None, None
        if session is not None:
            await session.close()

    # --- commands ------------------------------------------------------------

    async def execute(self, command: Command) -> CommandResult:
        if command.type not in self.commands:
            return await super().execute(command)
        api = self._api
        if api is None:
            return CommandResult(False, "not connected")
        try:
            match command.type:
                case "speaker.stop":
                    check_stop(command.args)
                    return _result(await api.stop(), "stopped")
                case "speaker.volume":
                    level = parse_volume(command.args)
                    return _result(await api.volume(level), f"volume {level}")
            return await self._play(api, command.args)
        except ValueError as exc:
            return CommandResult(False, str(exc))
        except SpeakerUnavailable as exc:
            self._lose(str(exc))
            return CommandResult(False, str(exc))

    async def _play(self, api: SpeakerApi, args: dict[str, Any]) -> CommandResult:
        request = parse_play(args, self.plays, self.config.kind, max_duration_s=self.config.max_clip_s)
        length_s: float | None = None
        if isinstance(request, PlayUrl):
            reply = await api.play_url(request.url)
        else:
            try:
                filename, wav, length_s = await asyncio.to_thread(self._wav_for, request)
            except (OSError, ValueError) as exc:
                return CommandResult(False, f"cannot play {request.what}: {exc}")
            uploaded = await api.upload(filename, wav)
            if not uploaded.ok or uploaded.clip_id is None:
                return CommandResult(False, f"upload of {request.what} failed: {uploaded.error or 'no clip_id'}")
            reply = await api.play_clip(uploaded.clip_id)
            reply = reply if reply.clip_id else _with_clip(reply, uploaded)
        duration_s = reply.duration_s if reply.duration_s is not None else length_s
        await self.emit(SpeakerPlayed(what=request.what, duration_s=duration_s or 0.0,
                                      result="ok" if reply.ok else "failed", occurred_at=self.clock.now()))
        return _result(reply, f"playing {request.what}", duration_s)

    def _wav_for(self, request: PlayWav | PlayTone) -> tuple[str, bytes, float]:
        """File name, WAV bytes and length of what to upload. Runs in a worker thread."""
        if isinstance(request, PlayWav):
            return (request.path.name, *load_wav(request.path, self.config.max_clip_s))
        wav = tone_wav(request.hz, request.duration_s)
        return f"tone-{request.hz:g}hz.wav", wav, request.duration_s

    def _lose(self, reason: str) -> None:
        """The speaker stopped answering (or refuses us): have ``run`` raise so the supervisor reconnects."""
        self._lost_reason = reason
        self._lost.set()

    def _auth_headers(self) -> dict[str, str]:
        """The Authorization header for the configured credentials, read from the environment now."""
        config = self.config
        if config.token_env is not None:
            return {"Authorization": f"Bearer {secret_from_env(config.token_env, 'token_env')}"}
        if config.username is not None:
            password = secret_from_env(config.password_env, "password_env") or ""
            return {"Authorization": aiohttp.encode_basic_auth(config.username, password)}
        return {}

def _result(reply: Reply, done: str, duration_s: float | None = None) -> CommandResult:
    data: dict[str, Any] = {}
    if reply.clip_id is not None:
        data["clip_id"] = reply.clip_id
    if duration_s is not None:
        data["duration_s"] = duration_s
    if not reply.ok:
        return CommandResult(False, f"the speaker refused: {reply.error}", data)
    return CommandResult(True, done, data)


def _with_clip(reply: Reply, uploaded: Reply) -> Reply:
    duration_s = reply.duration_s if reply.duration_s is not None else uploaded.duration_s
    return Reply(reply.ok, reply.error, uploaded.clip_id, duration_s, reply.body)
