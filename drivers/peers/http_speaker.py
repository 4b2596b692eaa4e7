"""An IP speaker with an HTTP API, simulated: the peer of ``speaker.http_ip``.

:class:`FakeHttpSpeaker` is an aiohttp server on ``127.0.0.1`` (a free port)
that implements the generic API described in :mod:`drivers.speaker.http_ip`
at its default paths: ``POST /api/play`` (``{"url"}`` or ``{"clip_id"}``),
``POST /api/upload`` (multipart, field ``file``: stored as
``out_dir/<clip_id>.wav``), ``POST /api/stop``, ``POST /api/volume``
(``{"level": 0..100}``) and ``GET /api/status``.

Authentication: ``token`` (bearer) or ``username`` + ``password`` (HTTP
Basic), else none; a wrong or missing one answers 401. It records what it was
asked: ``plays`` (the JSON of each play), ``uploads`` (clip id -> file),
``stops``, ``volume``, ``requests`` (method and path of each). Knobs:
``fail_next`` (the next N requests answer 500 ``{"ok": false}``), ``delay_s``
(before each answer), ``down`` (every connection is closed without an answer,
as a speaker that hangs up).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from drivers.speaker.wav import wav_duration

Handler = Any  # aiohttp's handler type


class FakeHttpSpeaker:
    def __init__(
        self, out_dir: Path, *, username: str | None = None, password: str | None = None, token: str | None = None
    ) -> None:
        self.out_dir = out_dir
        self._basic = (username, password) if username is not None else None
        self._token = token
        self.fail_next = 0
        self.delay_s = 0.0
        self.down = False
        self.plays: list[dict[str, Any]] = []
        self.uploads: dict[str, Path] = {}
        self.stops = 0
        self.volume: int | None = None
        self.requests: list[tuple[str, str]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._clip_ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._misbehave, self._authenticate], client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/play", self._play)
        app.router.add_post("/api/upload", self._upload)
        app.router.add_post("/api/stop", self._stop)
        app.router.add_post("/api/volume", self._volume)
        app.router.add_get("/api/status", self._status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening and close every connection; ``start()`` again serves on the same port."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeHttpSpeaker:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- misbehaviour and authentication ---------------------------------------

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self.down:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)  # never reaches the client
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"ok": False, "error": "simulated failure"}, status=500)
        return await handler(request)

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._authorized(request.headers.get("Authorization", "")):
            challenge = {"WWW-Authenticate": 'Basic realm="speaker"'} if self._basic else {}
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401, headers=challenge)
        return await handler(request)

    def _authorized(self, header: str) -> bool:
        if self._token is not None:
            return header == f"Bearer {self._token}"
        if self._basic is None:
            return True
        scheme, _, encoded = header.partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return scheme == "Basic" and tuple(decoded.split(":", 1)) == self._basic

    # --- the API -----------------------------------------------------------------

    async def _play(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if isinstance(body.get("url"), str):
            self.plays.append(body)
            return web.json_response({"ok": True})
        clip_id = body.get("clip_id")
        if clip_id in self.uploads:
            self.plays.append(body)
            duration_s = await asyncio.to_thread(_file_duration, self.uploads[clip_id])
            return web.json_response({"ok": True, "clip_id": clip_id, "duration_s": duration_s})
        return web.json_response({"ok": False, "error": "play takes {url} or the clip_id of an upload"}, status=400)

    async def _upload(self, request: web.Request) -> web.Response:
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                data = await part.read()
                break
        else:
            return web.json_response({"ok": False, "error": "no 'file' part"}, status=400)
        try:
            duration_s = wav_duration(bytes(data))
        except ValueError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=415)
        clip_id = f"clip-{next(self._clip_ids)}"
        path = self.out_dir / f"{clip_id}.wav"
        await asyncio.to_thread(_write, path, bytes(data))
        self.uploads[clip_id] = path
        return web.json_response({"ok": True, "clip_id": clip_id, "duration_s": round(duration_s, 3)})

    async def _stop(self, request: web.Request) -> web.Response:
        self.stops += 1
        return web.json_response({"ok": True})

    async def _volume(self, request: web.Request) -> web.Response:
        level = (await _json(request)).get("level")
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 100:
            return web.json_response({"ok": False, "error": "level must be an integer from 0 to 100"}, status=400)
        self.volume = level
        return web.json_response({"ok": True})

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "volume": self.volume, "clips": len(self.uploads)})


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _file_duration(path: Path) -> float:
    return round(wav_duration(path.read_bytes()), 3)
