"""The web console over real loopback HTTP: login, sessions, throttling, the API and the page's headers.

The box behind it is a small real one (:mod:`tests.api.small_box`: the real command router over
scripted devices, a canned status); the daemon is tested on its own elsewhere, and
``test_console_browser.py`` drives the page against a real one in Chromium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher
from structlog.testing import capture_logs

from edge.api.console import ConsoleServer
from edge.api.credentials import ConsoleCredentials
from edge.config.model import ConsoleConfig
from edge.store.media import MediaStore
from tests.api.small_box import SmallBox
from tests.fakes import FakeClock

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
STATUS = {
    "box_id": "box-7",
    "version": "0.1.0",
    "uptime_s": 3.0,
    "clock_synced": True,
    "store": {"path": "/nowhere/events.db", "last_seq": 4},
    "devices": [{"device_id": "gate-1", "kind": "gate", "state": "online", "reason": "", "last_seen": None}],
    "counts": {"online": 1, "degraded": 0, "offline": 0},
}


GATE = frozenset({"gate.open", "gate.close"})


def small_box(tmp_path: Path) -> SmallBox:
    """What the console and the sync routes mounted beside it use of the box; no uplink, so no box token."""
    return SmallBox(Path("/nowhere/events.db"), MediaStore(tmp_path / "media"), None, STATUS, {"gate-1": GATE, "g": GATE})


@dataclass
class Box:
    server: ConsoleServer
    small: SmallBox
    clock: FakeClock
    secrets_dir: Path
    api: str = field(init=False)

    def __post_init__(self) -> None:
        self.api = self.server.url + "api/v1/"

    @property
    def password(self) -> str:
        return self.server.credentials.initial_password_file.read_text().strip()


async def start_box(secrets_dir: Path) -> Box:
    small, clock = small_box(secrets_dir.parent), FakeClock()
    credentials = ConsoleCredentials(secrets_dir, hasher=FAST)
    server = ConsoleServer(small, ConsoleConfig(port=0), secrets_dir, credentials=credentials, clock=clock)
    await server.start()
    return Box(server, small, clock, secrets_dir)


@pytest.fixture
async def box(tmp_path: Path):
    box = await start_box(tmp_path / "secrets")
    try:
        yield box
    finally:
        await box.server.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def login(http: aiohttp.ClientSession, box: Box, password: str | None = None) -> aiohttp.ClientResponse:
    body = {"username": "admin", "password": box.password if password is None else password}
    async with http.post(box.api + "login", json=body) as response:
        await response.read()
        return response


async def get_json(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(url, **kwargs) as response:
        return response.status, await response.json()


async def test_start_generates_credentials_and_reports_the_bound_port(box: Box) -> None:
    assert (box.secrets_dir / "console.json").exists()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", box.server.url)
    assert not box.server.url.endswith(":0/")
    [line] = box.server.login_hint()
    assert line.startswith(f"  console  {box.server.url}  user admin")
    assert f"cat {box.server.credentials.initial_password_file.resolve()}" in line


async def test_login_hint_after_the_password_was_changed(box: Box) -> None:
    box.server.credentials.set_password("a much better password")
    [line] = box.server.login_hint()
    assert "password was changed" in line and "cat " not in line


async def test_page_is_served_with_security_headers(box: Box, http: aiohttp.ClientSession) -> None:
    async with http.get(box.server.url) as response:
        html = await response.text()
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/static/console.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline scripts would break the CSP"
    assert "http://" not in html and "https://" not in html, "no CDN or external fonts"
    for name, kind in (("console.js", "javascript"), ("console.css", "text/css")):
        async with http.get(box.server.url + "static/" + name) as response:
            assert response.status == 200
            assert kind in response.content_type
            assert "Content-Security-Policy" in response.headers
            assert len(await response.read()) > 500


async def test_api_needs_a_session(box: Box, http: aiohttp.ClientSession) -> None:
    for path in ("status", "health"):
        status, body = await get_json(http, box.api + path)
        assert (status, "error" in body) == (401, True)
    async with http.post(box.api + "commands", json={"type": "gate.open", "device_id": "gate-1"}) as response:
        assert response.status == 401
        assert "log in" in (await response.json())["error"]
    status, _ = await get_json(http, box.api + "status", headers={"Authorization": "Bearer not-a-session"})
    assert status == 401
    assert box.small.executed == [] and box.small.recorded == []


async def test_wrong_password_is_401_without_a_cookie(box: Box, http: aiohttp.ClientSession) -> None:
    response = await login(http, box, "wrong password")
    assert response.status == 401
    assert "edge_session" not in response.cookies
    status, _ = await get_json(http, box.api + "status")
    assert status == 401


async def test_malformed_login_is_400(box: Box, http: aiohttp.ClientSession) -> None:
    async with http.post(box.api + "login", data=b"{oops", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400 and "JSON" in (await r.json())["error"]
    async with http.post(box.api + "login", json={"username": "admin"}) as r:
        assert r.status == 400


async def test_cookie_session_reaches_status_health_and_commands(
    box: Box, http: aiohttp.ClientSession
) -> None:
    response = await login(http, box)
    assert response.status == 200
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Max-Age=43200" in set_cookie

    assert await get_json(http, box.api + "status") == (200, STATUS)
    status, health = await get_json(http, box.api + "health")
    assert status == 200
    assert health == {"status": "ok", "box_id": "box-7", "version": "0.1.0", "uptime_s": 3.0,
                      "devices": STATUS["counts"], "last_seq": 4, "clock_synced": True}

    command = {"type": "gate.open", "device_id": "gate-1", "args": {"seconds": 5}}
    async with http.post(box.api + "commands", json=command) as r:
        assert r.status == 200
        assert r.headers["Cache-Control"] == "no-store"
        assert await r.json() == {"ok": True, "detail": "opened", "data": {"relay": 1}}
    [(device_id, command)] = box.small.executed
    assert device_id == "gate-1"
    assert (command.type, command.args, command.source) == (
        "gate.open",
        {"seconds": 5},
        "console",
    )
    [result] = box.small.recorded
    assert (result.type, result.device_id, result.data["source"], result.data["ok"]) == (
        "command.result", "gate-1", "console", True
    )


async def test_bearer_token_works_without_cookies(box: Box, http: aiohttp.ClientSession) -> None:
    async with http.post(box.api + "login", json={"username": "admin", "password": box.password}) as r:
        token = (await r.json())["token"]
    async with aiohttp.ClientSession() as fresh:  # no cookie jar state
        bearer = {"Authorization": f"Bearer {token}"}
        assert await get_json(fresh, box.api + "status", headers=bearer) == (200, STATUS)
        status, _ = await get_json(fresh, box.api + "health", headers=bearer)
        assert status == 200
        async with fresh.post(
            box.api + "commands", json={"type": "gate.close", "device_id": "g"}, headers=bearer
        ) as r:
            assert r.status == 200 and (await r.json())["ok"] is True
    assert box.small.executed[0][1].args == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'["gate.open"]', "JSON object"),
        (b'{"device_id": "gate-1"}', '"type" must be a non-empty string'),
        (b'{"type": "gate.open", "device_id": ""}', '"device_id" must be a non-empty string'),
        (b'{"type": "gate.open", "device_id": "gate-1", "args": [1]}', '"args"'),
        (b'{"type": "gate.open", "device_id": "gate-1", "source": "district"}', "unknown field 'source'"),
    ],
)
async def test_malformed_command_is_400(
    box: Box, http: aiohttp.ClientSession, body: bytes, message: str
) -> None:
    await login(http, box)
    async with http.post(box.api + "commands", data=body, headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
        assert message in (await r.json())["error"]
    assert box.small.executed == [] and box.small.recorded == []


async def test_logout_invalidates_the_session(box: Box, http: aiohttp.ClientSession) -> None:
    async with http.post(box.api + "login", json={"username": "admin", "password": box.password}) as r:
        token = (await r.json())["token"]
    async with http.post(box.api + "logout") as r:
        assert r.status == 200
    assert (await get_json(http, box.api + "status"))[0] == 401
    status, _ = await get_json(http, box.api + "status", headers={"Authorization": f"Bearer {token}"})
    assert status == 401


async def test_session_expires_after_12_hours(box: Box, http: aiohttp.ClientSession) -> None:
    await login(http, box)
    box.clock.skip(12 * 3600 - 1)
    assert (await get_json(http, box.api + "status"))[0] == 200
    box.clock.skip(2)
    assert (await get_json(http, box.api + "status"))[0] == 401


async def test_five_failures_lock_the_client_out_until_the_window_passes(
    box: Box, http: aiohttp.ClientSession
) -> None:
    for _ in range(5):
        assert (await login(http, box, "guess")).status == 401
        box.clock.skip(10)
    locked = await login(http, box)  # even the right password
    assert locked.status == 429
    assert locked.headers["Retry-After"] == str(300 - 50)
    box.clock.skip(100)
    assert (await login(http, box, "guess")).headers["Retry-After"] == str(300 - 150)
    box.clock.skip(151)  # the first failure is now older than 5 minutes: one more try is allowed
    assert (await login(http, box)).status == 200
    assert (await get_json(http, box.api + "status"))[0] == 200


async def test_secrets_never_reach_the_log(box: Box, http: aiohttp.ClientSession) -> None:
    with capture_logs() as logs:
        await login(http, box, "hunter2-wrong")
        async with http.post(box.api + "login", json={"username": "admin", "password": box.password}) as r:
            token = (await r.json())["token"]
    text = repr(logs)
    assert logs and "hunter2-wrong" not in text and box.password not in text and token not in text


async def test_corrupt_credentials_disable_login_but_not_the_server(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    ConsoleCredentials(secrets_dir, hasher=FAST).ensure()
    (secrets_dir / "console.json").write_text("{truncated")
    box = await start_box(secrets_dir)
    try:
        hint = "\n".join(box.server.login_hint())
        assert "console.json" in hint and "edge console reset-password" in hint
        async with aiohttp.ClientSession() as http:
            async with http.post(box.api + "login", json={"username": "admin", "password": "x"}) as r:
                assert r.status == 503
                error = (await r.json())["error"]
            assert str(secrets_dir / "console.json") in error and "edge console reset-password" in error
            async with http.get(box.server.url) as r:
                assert r.status == 200
    finally:
        await box.server.stop()


async def test_a_taken_port_fails_start_and_leaves_nothing_behind(box: Box, tmp_path: Path) -> None:
    port = int(box.server.url.rsplit(":", 1)[1].strip("/"))
    settings = ConsoleConfig(port=port)
    credentials = ConsoleCredentials(tmp_path / "other", hasher=FAST)
    other = ConsoleServer(small_box(tmp_path), settings, tmp_path / "other", credentials=credentials)
    with pytest.raises(OSError):
        await other.start()
    await other.stop()  # harmless after a failed start
