"""The box's sync API for the district server, mounted on the console's aiohttp application.

Routes (described in :mod:`edge.api.sync_openapi`, served at ``/api/v1/openapi.json``):
``GET /api/v1/events`` (reconciliation by seq), ``GET /api/v1/health``,
``POST /api/v1/commands`` and ``GET /api/v1/media/{sha256}``.

Every route authenticates itself, so the console's session middleware must
step aside for them (:meth:`SyncApi.owns`): ``Authorization: Bearer`` with the
box token (the uplink's, compared in constant time) is the district; a token
the caller's ``token_check`` accepts, e.g. a console session, is the console.
That name becomes the source of the commands it sends. Store reads run in
threads (:mod:`edge.api.sync_reads`), at most ``MAX_CONCURRENT_READS`` at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from aiohttp import web

from drivers.base import Command
from edge.api.sync_openapi import MAX_LIMIT, MAX_SEQ, openapi_json
from edge.api.sync_reads import MediaRow, events_page_json, find_media
from edge.daemon.commands import CommandRequest
from edge.store.database import StoreError

if TYPE_CHECKING:
    from multidict import MultiMapping

    from edge.daemon.app import Daemon

log = structlog.get_logger(__name__)

MAX_CONCURRENT_READS = 4
_CHUNK = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UINT = re.compile(r"[0-9]{1,19}")
_COMMAND_FIELDS = ("type", "device_id", "args")
T = TypeVar("T")

TokenCheck = Callable[[str], bool]
BoxCommand = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CallerHandler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


class BoxCommandRejected(Exception):
    """Raised by a box-level command whose args are wrong: the reply is 400."""


class BoxCommandFailed(Exception):
    """Raised by a box-level command that could not be done: the reply is 200 with ``ok: false``."""


class _Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_sync_routes(
    app: web.Application,
    daemon: Daemon,
    token_check: TokenCheck,
    box_commands: Mapping[str, BoxCommand] | None = None,
    *,
    session_cookie: str | None = None,
) -> SyncApi:
    """Add the sync API's routes to ``app``; the returned object tells its requests apart (``owns``)."""
    api = SyncApi(daemon, token_check, box_commands, session_cookie=session_cookie)
    api.add_to(app)
    return api


class SyncApi:
    """The routes' handlers; ``box_commands`` is read at each request, so entries may be added later."""

    def __init__(
        self,
        daemon: Daemon,
        token_check: TokenCheck,
        box_commands: Mapping[str, BoxCommand] | None = None,
        *,
        session_cookie: str | None = None,
    ) -> None:
        self._daemon = daemon
        self._token_check = token_check
        self._box_commands: Mapping[str, BoxCommand] = box_commands if box_commands is not None else {}
        self._session_cookie = session_cookie
        uplink = daemon.config.uplink
        secret = uplink.token.get_secret_value() if uplink is not None else ""
        self._box_token_digest = _digest(secret) if secret else None  # no uplink: console tokens only
        self._reads = asyncio.Semaphore(MAX_CONCURRENT_READS)
        self._resources: list[web.AbstractResource] = []

    def add_to(self, app: web.Application) -> None:
        table: list[tuple[str, str, _CallerHandler]] = [
            ("GET", "/api/v1/openapi.json", self._openapi),
            ("GET", "/api/v1/events", self._events),
            ("GET", "/api/v1/health", self._health),
            ("POST", "/api/v1/commands", self._command),
            ("GET", "/api/v1/media/{sha256}", self._media),
        ]
        taken = {r.canonical for r in app.router.resources()} & {path for _, path, _ in table}
        if taken:
            raise RuntimeError(f"already routed by someone else, but the sync API serves them: {sorted(taken)}")
        for method, path, handler in table:
            add = app.router.add_get if method == "GET" else app.router.add_post
            self._resources.append(add(path, self._authenticated(handler)).resource)

    def owns(self, request: web.Request) -> bool:
        """Whether ``request`` was routed here (it then authenticates itself)."""
        return request.match_info.route.resource in self._resources

    # --- authentication ------------------------------------------------------

    def _authenticated(self, handler: _CallerHandler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            caller = self._caller(request)
            if caller is None:
                log.info("sync.unauthorized", client=request.remote, path=request.path)
                response = _error(401, "send Authorization: Bearer <box token>, or log in (POST /api/v1/login)")
                response.headers["WWW-Authenticate"] = 'Bearer realm="community-edge"'
                return response
            return await handler(request, caller)

        return guarded

    def _caller(self, request: web.Request) -> str | None:
        """``"district"`` for the box token, ``"console"`` for a token ``token_check`` accepts."""
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if token:
            if self._box_token_digest is not None and hmac.compare_digest(_digest(token), self._box_token_digest):
                return "district"
            if self._token_check(token):
                return "console"
        cookie = request.cookies.get(self._session_cookie, "") if self._session_cookie else ""
        if cookie and self._token_check(cookie):
            return "console"
        return None

    # --- routes -------------------------------------------------------------

    async def _openapi(self, _request: web.Request, _caller: str) -> web.Response:
        return web.Response(body=openapi_json(), content_type="application/json")

    async def _events(self, request: web.Request, _caller: str) -> web.Response:
        try:
            after_seq, limit = _events_query(request.query)
            body = await self._read(events_page_json, self._daemon.writer.path, after_seq, limit)
        except _Rejected as exc:
            return _error(exc.status, str(exc))
        return web.Response(body=body, content_type="application/json")

    async def _health(self, _request: web.Request, _caller: str) -> web.Response:
        status = self._daemon.status()
        counts = status["counts"]
        return web.json_response({
            "status": "degraded" if counts.get("offline", 0) else "ok",
            "box_id": status["box_id"],
            "version": status["version"],
            "uptime_s": status["uptime_s"],
            "devices": counts,
            "last_seq": status["store"]["last_seq"],
            "clock_synced": status["clock_synced"],
        })

    async def _command(self, request: web.Request, caller: str) -> web.Response:
        try:
            kind, device_id, args = _command_body(await _json_object(request))
            if kind in self._box_commands:
                if device_id is not None:
                    raise _Rejected(400, f'{kind!r} is a box-level command: leave out "device_id"')
                return await self._box_command(kind, args, caller)
            self._check_device_command(kind, device_id)
        except _Rejected as exc:
            return web.json_response(
                {"ok": False, "detail": str(exc), "data": {}, "error": str(exc)}, status=exc.status
            )
        assert device_id is not None  # checked above
        command = Command(kind, args, source=caller)
        result = await self._daemon.commands.dispatch(CommandRequest(device_id, command))
        return web.json_response({"ok": result.ok, "detail": result.detail, "data": result.data})

    async def _media(self, request: web.Request, _caller: str) -> web.StreamResponse:
        sha256 = request.match_info["sha256"]
        if not _SHA256.fullmatch(sha256):
            return _error(400, "not a sha256: expected 64 lower-case hex digits")
        try:
            row = await self._read(find_media, self._daemon.writer.path, sha256)
        except _Rejected as exc:
            return _error(exc.status, str(exc))
        if row is None:
            return _error(404, f"no media {sha256}")
        if any(tag.value in (sha256, "*") for tag in request.if_none_match or ()):
            response = web.Response(status=304)
            response.etag = sha256
            return response
        try:
            file = await asyncio.to_thread(self._daemon.media.path_for(sha256).open, "rb")
        except FileNotFoundError:
            return _error(404, f"media {sha256} is indexed but its file is gone")
        except OSError as exc:
            log.warning("sync.media_unreadable", sha256=sha256, error=str(exc))
            return _error(503, f"media {sha256} cannot be read: {exc.strerror}")
        return await _send_file(request, file, row)

    # --- helpers ------------------------------------------------------------

    def _check_device_command(self, kind: str, device_id: str | None) -> None:
        drivers = self._daemon.drivers
        device_types = {t for driver in drivers.values() for t in driver.commands}
        if kind not in device_types:
            known = ", ".join([*sorted(self._box_commands), *sorted(device_types)]) or "none"
            raise _Rejected(400, f"unknown command type {kind!r}; known: {known}")
        if device_id is None:
            raise _Rejected(400, f'{kind!r} is a device command: "device_id" is required')
        if device_id not in drivers:
            raise _Rejected(404, f"no device {device_id!r}")

    async def _box_command(self, kind: str, args: dict[str, Any], caller: str) -> web.Response:
        log.info("sync.box_command", command=kind, source=caller)
        try:
            data = await self._box_commands[kind](args)
        except (BoxCommandRejected, ValueError) as exc:  # ValueError: the handler found the arguments wrong
            raise _Rejected(400, f"{kind}: {exc}") from exc
        except BoxCommandFailed as exc:
            return web.json_response({"ok": False, "detail": str(exc), "data": {}})
        return web.json_response({"ok": True, "detail": "done", "data": data})

    async def _read(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a thread; an unreadable store becomes a 503."""
        try:
            async with self._reads:
                return await asyncio.to_thread(work, *args)
        except (StoreError, sqlite3.Error) as exc:
            log.warning("sync.store_unreadable", error=str(exc))
            raise _Rejected(503, f"the event store cannot be read: {exc}") from exc


def _events_query(query: MultiMapping[str]) -> tuple[int, int]:
    unknown = sorted(set(query) - {"after_seq", "limit"})
    if unknown:
        raise _Rejected(400, f"unknown query parameter {unknown[0]!r} (known: after_seq, limit)")
    return (
        _int_param(query, "after_seq", default=0, low=0, high=MAX_SEQ),
        _int_param(query, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT),
    )


def _int_param(query: MultiMapping[str], name: str, *, default: int, low: int, high: int) -> int:
    values = query.getall(name, [])
    if not values:
        return default
    if len(values) > 1:
        raise _Rejected(400, f"{name} given {len(values)} times")
    if not _UINT.fullmatch(values[0]) or not low <= int(values[0]) <= high:
        raise _Rejected(400, f"{name} must be an integer from {low} to {high}, got {values[0]!r}")
    return int(values[0])


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _Rejected(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Rejected(400, "the body must be a JSON object")
    return body


def _command_body(body: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """(type, device_id, args) of a well-formed command body."""
    unknown = sorted(set(body) - set(_COMMAND_FIELDS))
    if unknown:
        raise _Rejected(400, f"unknown field {unknown[0]!r} (known: {', '.join(_COMMAND_FIELDS)})")
    kind, device_id, args = body.get("type"), body.get("device_id"), body.get("args", {})
    if not isinstance(kind, str) or not kind:
        raise _Rejected(400, '"type" must be a non-empty string')
    if device_id is not None and (not isinstance(device_id, str) or not device_id):
        raise _Rejected(400, '"device_id" must be a non-empty string')
    if not isinstance(args, dict):
        raise _Rejected(400, '"args" must be a JSON object')
    return kind, device_id, args


async def _send_file(request: web.Request, file: io.BufferedReader, row: MediaRow) -> web.StreamResponse:
    """Stream ``file`` (closed afterwards) in chunks read in a thread; ETag is its sha256."""
    try:
        response = web.StreamResponse(headers={"Content-Type": row.content_type})
        response.etag = row.sha256
        response.content_length = os.fstat(file.fileno()).st_size
        await response.prepare(request)
        if request.method != "HEAD":
            while chunk := await asyncio.to_thread(file.read, _CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        file.close()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
