"""The box's sync API for the district server, mounted on the console's aiohttp application.

Routes (described in :mod:`edge.api.sync_openapi`, served at ``/api/v1/openapi.json``):
``GET /api/v1/events`` (reconciliation by seq), ``GET /api/v1/health``,
``POST /api/v1/commands`` and ``GET /api/v1/media/{sha256}``.

Every route authenticates itself, so the console's session middleware must
step aside for them (:meth:`SyncApi.owns`): ``Authorization: Bearer`` with the
box token (the uplink's, compared in constant time) is the district; a token
the caller's ``token_check`` accepts, e.g. a console session, is the console.
That caller is attached to the commands it sends (a body naming a ``"source"``
is refused); they go, device and box commands alike, through the box's
command router. Store reads run in threads (:mod:`edge.api.sync_reads`), at
most ``MAX_CONCURRENT_READS`` at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from aiohttp import web

from edge.api.box import Box
from edge.api.sync_openapi import MAX_LIMIT, MAX_SEQ, openapi_json
from edge.api.sync_reads import MediaRow, events_page_json, find_media
from edge.commands import BoxCommandRejected, Caller, CommandRequest, MalformedCommand, parse_command
from edge.store.database import StoreError

if TYPE_CHECKING:
    from multidict import MultiMapping

log = structlog.get_logger(__name__)

MAX_CONCURRENT_READS = 4
_CHUNK = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UINT = re.compile(r"[0-9]{1,19}")
_DISTRICT = Caller.district()
_CONSOLE = Caller.console()
T = TypeVar("T")

TokenCheck = Callable[[str], bool]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CallerHandler = Callable[[web.Request, Caller], Awaitable[web.StreamResponse]]


class _Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_sync_routes(
    app: web.Application, box: Box, token_check: TokenCheck, *, session_cookie: str | None = None
) -> SyncApi:
    """Add the sync API's routes to ``app``; the returned object tells its requests apart (``owns``)."""
    api = SyncApi(box, token_check, session_cookie=session_cookie)
    api.add_to(app)
    return api


class SyncApi:
    """The routes' handlers; the router's box commands are read at each request, so they may be added later."""

    def __init__(self, box: Box, token_check: TokenCheck, *, session_cookie: str | None = None) -> None:
        self._box = box
        self._token_check = token_check
        self._session_cookie = session_cookie
        token = box.box_token
        secret = token.get_secret_value() if token is not None else ""
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

    def _caller(self, request: web.Request) -> Caller | None:
        """The district for the box token, the console for a token ``token_check`` accepts."""
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if token:
            if self._box_token_digest is not None and hmac.compare_digest(_digest(token), self._box_token_digest):
                return _DISTRICT
            if self._token_check(token):
                return _CONSOLE
        cookie = request.cookies.get(self._session_cookie, "") if self._session_cookie else ""
        if cookie and self._token_check(cookie):
            return _CONSOLE
        return None

    # --- routes -------------------------------------------------------------

    async def _openapi(self, _request: web.Request, _caller: Caller) -> web.Response:
        return web.Response(body=openapi_json(), content_type="application/json")

    async def _events(self, request: web.Request, _caller: Caller) -> web.Response:
        try:
            after_seq, limit = _events_query(request.query)
            body = await self._read(events_page_json, self._box.store_path, after_seq, limit)
        except _Rejected as exc:
            return _error(exc.status, str(exc))
        return web.Response(body=body, content_type="application/json")

    async def _health(self, _request: web.Request, _caller: Caller) -> web.Response:
        status = self._box.status()
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

    async def _command(self, request: web.Request, caller: Caller) -> web.Response:
        try:
            command = _parse(await _json_object(request), caller)
            self._check(command)
            if command.is_box_command:
                log.info("sync.box_command", command=command.type, source=caller.source)
            try:
                result = await self._box.commands.dispatch(command)
            except BoxCommandRejected as exc:
                raise _Rejected(400, f"{command.type}: {exc}") from exc
        except _Rejected as exc:
            return web.json_response(
                {"ok": False, "detail": str(exc), "data": {}, "error": str(exc)}, status=exc.status
            )
        return web.json_response({"ok": result.ok, "detail": result.detail, "data": result.data})

    async def _media(self, request: web.Request, _caller: Caller) -> web.StreamResponse:
        sha256 = request.match_info["sha256"]
        if not _SHA256.fullmatch(sha256):
            return _error(400, "not a sha256: expected 64 lower-case hex digits")
        try:
            row = await self._read(find_media, self._box.store_path, sha256)
        except _Rejected as exc:
            return _error(exc.status, str(exc))
        if row is None:
            return _error(404, f"no media {sha256}")
        if any(tag.value in (sha256, "*") for tag in request.if_none_match or ()):
            response = web.Response(status=304)
            response.etag = sha256
            return response
        try:
            file = await asyncio.to_thread(self._box.media.path_for(sha256).open, "rb")
        except FileNotFoundError:
            return _error(404, f"media {sha256} is indexed but its file is gone")
        except OSError as exc:
            log.warning("sync.media_unreadable", sha256=sha256, error=str(exc))
            return _error(503, f"media {sha256} cannot be read: {exc.strerror}")
        return await _send_file(request, file, row)

    # --- helpers ------------------------------------------------------------

    def _check(self, command: CommandRequest) -> None:
        """Refuse, before anything runs, a command of no known type or for no known device."""
        router = self._box.commands
        kind, device_id = command.type, command.device_id
        if kind in router.box_command_types:
            if device_id is not None:
                raise _Rejected(400, f'{kind!r} is a box-level command: leave out "device_id"')
            return
        device_types = router.device_command_types()
        if kind not in device_types:
            known = ", ".join([*router.box_command_types, *sorted(device_types)]) or "none"
            raise _Rejected(400, f"unknown command type {kind!r}; known: {known}")
        if device_id is None:
            raise _Rejected(400, f'{kind!r} is a device command: "device_id" is required')
        if not router.has_device(device_id):
            raise _Rejected(404, f"no device {device_id!r}")

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


def _parse(body: dict[str, Any], caller: Caller) -> CommandRequest:
    try:
        return parse_command(body, caller)
    except MalformedCommand as exc:
        raise _Rejected(400, str(exc)) from None


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
