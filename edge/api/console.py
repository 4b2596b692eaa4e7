"""The local web console and its JSON API, over TCP, for a technician's phone on the box's network.

``GET /`` is a static page (``edge/api/static/``) that logs in and shows the
devices' health; ``/api/v1/*`` is the API it uses, open to scripts too. Logging
in (``POST /api/v1/login``) gives a session token, as an HttpOnly cookie and in
the body for ``Authorization: Bearer``. Sessions live in memory only, so a
restart logs everyone out. Failed logins are counted per client address and
answered with 429 once there are too many.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web

from edge.api.box import Box
from edge.api.credentials import USERNAME, ConsoleCredentials, ConsoleCredentialsError
from edge.api.sync import SyncApi, add_sync_routes

if TYPE_CHECKING:
    from edge.config.model import ConsoleConfig

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
COOKIE = "edge_session"
SESSION_TTL_S = 12 * 3600
MAX_SESSIONS = 64
MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
_PUBLIC_PATHS = {"/api/v1/login", "/api/v1/logout"}
_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SessionStore:
    """Session tokens kept as SHA-256 digests, each with its expiry on the injected clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def create(self) -> str:
        now = self._clock()
        self._expiry = {k: t for k, t in self._expiry.items() if t > now}
        while len(self._expiry) >= MAX_SESSIONS:
            del self._expiry[min(self._expiry, key=self._expiry.__getitem__)]
        token = secrets.token_urlsafe(32)
        self._expiry[_digest(token)] = now + SESSION_TTL_S
        return token

    def valid(self, token: str) -> bool:
        expiry = self._expiry.get(_digest(token))
        return expiry is not None and expiry > self._clock()

    def drop(self, token: str) -> None:
        self._expiry.pop(_digest(token), None)


class LoginThrottle:
    """At most ``MAX_FAILURES`` failed logins per client address in any ``FAILURE_WINDOW_S``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None if it may now."""
        failures = self._recent(client)
        if len(failures) < MAX_FAILURES:
            return None
        return failures[-MAX_FAILURES] + FAILURE_WINDOW_S - self._clock()

    def failed(self, client: str) -> None:
        self._recent(client).append(self._clock())

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        cutoff = self._clock() - FAILURE_WINDOW_S
        for key in [k for k, q in self._failures.items() if not q or q[-1] <= cutoff]:
            del self._failures[key]
        failures = self._failures.setdefault(client, deque(maxlen=MAX_FAILURES))
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures


class ConsoleServer:
    def __init__(
        self,
        box: Box,
        config: ConsoleConfig,
        secrets_dir: Path,
        *,
        credentials: ConsoleCredentials | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._box = box
        self._config = config
        self.credentials = credentials or ConsoleCredentials(secrets_dir)
        self._sessions = SessionStore(clock)
        self._throttle = LoginThrottle(clock)
        self._argon2_slots = asyncio.Semaphore(2)  # each verification takes ~64 MiB
        self._problem: str | None = None
        self._runner: web.AppRunner | None = None
        self._sync: SyncApi | None = None
        self._port = config.port

    @property
    def url(self) -> str:
        host = self._config.host
        if host in _WILDCARD_HOSTS:
            host = "::1" if ":" in host else "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{self._port}/"

    def login_hint(self) -> list[str]:
        """Banner lines telling the technician where the console is and how to log in."""
        where = f"  console  {self.url}"
        if self._config.host in _WILDCARD_HOSTS:
            where += " (listening on all addresses)"
        if self._problem:
            return [where, f"           login disabled: {self._problem}"]
        if self.credentials.initial_password_file.exists():
            return [
                f"{where}  user {USERNAME}, password: cat {self.credentials.initial_password_file.resolve()}"
            ]
        return [f"{where}  user {USERNAME} (password was changed; forgotten? edge console reset-password)"]

    async def start(self) -> None:
        """Serve; unusable credentials disable logins (with a clear message) but never the daemon."""
        try:
            if await asyncio.to_thread(self.credentials.ensure):
                log.info("console.password_generated", file=str(self.credentials.initial_password_file))
        except ConsoleCredentialsError as exc:
            self._problem = str(exc)
            log.error("console.credentials_unusable", problem=self._problem)
        runner = web.AppRunner(self._build_app(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._config.host, self._config.port).start()
        except BaseException:
            await runner.cleanup()  # e.g. the port is taken: leave nothing behind
            raise
        self._runner = runner
        self._port = runner.addresses[0][1]
        log.info("console.listening", url=self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._require_session], client_max_size=64 * 1024)
        app.on_response_prepare.append(_add_security_headers)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
        app.router.add_post("/api/v1/login", self._login)
        app.router.add_post("/api/v1/logout", self._logout)
        app.router.add_get("/api/v1/status", self._status)
        self._sync = add_sync_routes(app, self._box, self._sessions.valid, session_cookie=COOKIE)
        return app

    @web.middleware
    async def _require_session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        sync_route = self._sync is not None and self._sync.owns(request)  # it checks its own tokens
        if request.path.startswith("/api/") and request.path not in _PUBLIC_PATHS and not sync_route:
            token = _session_token(request)
            if token is None or not self._sessions.valid(token):
                return _error(401, "log in first (POST /api/v1/login)")
        return await handler(request)

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def _login(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return _error(400, 'expected {"username": "...", "password": "..."}')
        client = request.remote or "unknown"
        async with self._argon2_slots:  # checked inside, so a burst of attempts cannot slip past the throttle
            wait = self._throttle.retry_after(client)
            if wait is not None:
                return _too_many(wait)
            try:
                ok = await asyncio.to_thread(self.credentials.verify, username, password)
            except ConsoleCredentialsError as exc:
                log.error("console.credentials_unusable", problem=str(exc))
                return _error(503, str(exc))
            if not ok:
                self._throttle.failed(client)
        if not ok:
            log.warning("console.login_failed", client=client)  # no user name: people type passwords there
            return _error(401, "wrong user name or password")
        self._throttle.succeeded(client)
        self._problem = None  # the credentials were fixed (reset-password) while we ran
        token = self._sessions.create()
        log.info("console.login", client=client)
        response = web.json_response({"ok": True, "token": token, "expires_in": SESSION_TTL_S})
        response.set_cookie(COOKIE, token, max_age=SESSION_TTL_S, path="/", httponly=True, samesite="Strict")
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        token = _session_token(request)
        if token is not None:
            self._sessions.drop(token)
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response(self._box.status())


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object body, or a 400 response saying what is wrong with it."""
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    return body


def _session_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _too_many(wait_s: float) -> web.Response:
    seconds = max(1, math.ceil(wait_s))
    response = _error(429, f"too many failed logins; try again in {seconds} s")
    response.headers["Retry-After"] = str(seconds)
    return response


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
