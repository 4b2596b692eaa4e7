"""The generic speaker HTTP API (see :mod:`drivers.speaker.http_ip`) over one aiohttp session.

Each call answers a :class:`Reply` when the speaker answered (whatever it
said), raises :class:`Unreachable` when it did not (refused, reset, timed
out) and :class:`CredentialsRefused` on 401 or 403. The session (with its
authentication) belongs to the driver.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from drivers.speaker.http_ip.config import HttpSpeakerConfig


class SpeakerUnavailable(Exception):
    """The speaker could not be used at all."""


class Unreachable(SpeakerUnavailable):
    pass


class CredentialsRefused(SpeakerUnavailable):
    pass


@dataclass(frozen=True, slots=True)
class Reply:
    ok: bool
    error: str = ""
    clip_id: str | None = None
    duration_s: float | None = None
    body: dict[str, Any] = field(default_factory=dict)


class SpeakerApi:
    def __init__(self, session: aiohttp.ClientSession, config: HttpSpeakerConfig) -> None:
        self._session = session
        self._config = config

    async def status(self) -> Reply:
        return await self._call("GET", self._config.status_path)

    async def play_url(self, url: str) -> Reply:
        return await self._call("POST", self._config.play_path, json={"url": url})

    async def play_clip(self, clip_id: str) -> Reply:
        return await self._call("POST", self._config.play_path, json={"clip_id": clip_id})

    async def upload(self, filename: str, wav: bytes) -> Reply:
        form = aiohttp.FormData()
        form.add_field("file", wav, filename=filename, content_type="audio/wav")
        timeout = aiohttp.ClientTimeout(total=self._config.upload_timeout_s)
        return await self._call("POST", self._config.upload_path, data=form, timeout=timeout)

    async def stop(self) -> Reply:
        return await self._call("POST", self._config.stop_path)

    async def volume(self, level: int) -> Reply:
        return await self._call("POST", self._config.volume_path, json={"level": level})

    async def _call(self, method: str, path: str, **options: Any) -> Reply:
        url = self._config.url(path)
        try:
            async with self._session.request(method, url, **options) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unreachable(f"{method} {url}: {_describe(exc)}") from exc
        if status in (401, 403):
            raise CredentialsRefused(f"the speaker refused our credentials (HTTP {status} on {path}); "
                                     "check username/password_env or token_env")
        return _reply(status, raw)


def _reply(status: int, raw: bytes) -> Reply:
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    error = error if isinstance(error, str) else ""
    if not 200 <= status < 300:
        return Reply(False, f"HTTP {status}" + (f": {error}" if error else ""), body=body)
    if body.get("ok", True) is not True:
        return Reply(False, error or "the speaker answered ok=false", body=body)
    clip_id = body.get("clip_id")
    return Reply(True, "", str(clip_id) if isinstance(clip_id, str | int) and clip_id != "" else None,
                 _duration(body.get("duration_s")), body)


def _duration(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
