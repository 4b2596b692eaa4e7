"""The district's sync API over real loopback HTTP, reading a real event store beside its writer.

The routes are mounted as the console mounts them: on an application whose
middleware demands a console session for ``/api/`` unless the sync API owns the
route. The box behind it is a small real one (:mod:`tests.api.small_box`: the
real command router over scripted devices); replies are validated against the models the
OpenAPI document is built from, so the document and the wire cannot drift apart.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from yarl import URL

from edge.api import sync_openapi as wire
from edge.api.sync import SyncApi, add_sync_routes
from edge.commands import BoxCommandFailed, BoxCommandRejected, CommandRequest
from edge.events.model import Event, EventDraft, MediaRef
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from tests.api.small_box import Recorded, SmallBox

BOX_TOKEN = "box-token-0123456789"
CONSOLE_TOKEN = "console-session-abcdef"
COOKIE = "edge_session"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 1200 + b"\xff\xd9"  # > one 256 KiB chunk
DISTRICT = {"Authorization": f"Bearer {BOX_TOKEN}"}
ROUTES = [
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/commands"),
    ("GET", "/api/v1/media/" + "0" * 64),
]


GATE = frozenset({"gate.open", "gate.close"})
DEVICES = {"gate-1": GATE, "gate-2": GATE, "sos-1": frozenset({"sim.press"})}


def small_box(db_path: Path, media: MediaStore, token: str | None = BOX_TOKEN) -> SmallBox:
    """gate-1 and sos-1 online, gate-2 offline; ``token``: the box token (None: no uplink)."""
    status = {
        "box_id": "box-7", "version": "0.1.0", "uptime_s": 42.5, "clock_synced": True,
        "store": {"path": str(db_path), "last_seq": 12}, "devices": [],
        "counts": {"online": 2, "degraded": 1, "offline": 0},
    }
    small = SmallBox(db_path, media, SecretStr(token) if token else None, status, DEVICES)
    small.offline("gate-2", "no answer")
    return small


@dataclass
class Box:
    url: URL
    app: web.Application
    small: SmallBox
    writer: StoreWriter
    api: SyncApi
    events: list[Event]
    snapshot: MediaRef
    box_calls: list[tuple[str, dict[str, Any]]]


def draft(i: int, **overrides: Any) -> EventDraft:
    fields: dict[str, Any] = {
        "type": "gate.opened", "priority": 3, "occurred_at": T0 + timedelta(seconds=i, milliseconds=7),
        "clock_synced": True, "device_id": "gate-1", "data": {"i": i, "who": "住户"},
    }
    return EventDraft(**(fields | overrides))


async def console_status(_request: web.Request) -> web.Response:
    return web.json_response({"console": True})


@contextlib.asynccontextmanager
async def serve(small: SmallBox) -> AsyncIterator[tuple[URL, web.Application, SyncApi]]:
    """The sync API on 127.0.0.1, behind a middleware that acts like the console's."""
    holder: list[SyncApi] = []

    @web.middleware
    async def console_sessions(request: web.Request, handler: Any) -> web.StreamResponse:
        session = request.headers.get("Authorization") == f"Bearer {CONSOLE_TOKEN}"
        if request.path.startswith("/api/") and not holder[0].owns(request) and not session:
            return web.json_response({"error": "log in first"}, status=401)
        return await handler(request)

    app = web.Application(middlewares=[console_sessions])
    app.router.add_get("/api/v1/status", console_status)
    holder.append(add_sync_routes(app, small, {CONSOLE_TOKEN}.__contains__, session_cookie=COOKIE))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield URL(f"http://127.0.0.1:{runner.addresses[0][1]}"), app, holder[0]
    finally:
        await runner.cleanup()


@pytest.fixture
async def box(tmp_path: Path) -> AsyncIterator[Box]:
    media = MediaStore(tmp_path / "media")
    snapshot = media.put_bytes(JPEG, kind="snapshot", content_type="image/jpeg")
    box_calls: list[tuple[str, dict[str, Any]]] = []

    async def broadcast(request: CommandRequest) -> dict[str, Any]:
        box_calls.append(("broadcast", request.args))
        if not request.args.get("text"):
            raise BoxCommandRejected('"text" is required')
        return {"speakers": 2}

    async def sync_now(request: CommandRequest) -> dict[str, Any]:
        box_calls.append(("sync.now", request.args))
        raise BoxCommandFailed("the district is unreachable")

    async with StoreWriter(tmp_path / "events.db") as writer:
        events = [await writer.append(draft(i)) for i in range(11)]
        events.append(await writer.append(draft(11, type="sos.pressed", priority=0, device_id=None, media=(snapshot,))))
        small = small_box(writer.path, media)
        small.commands.register_box_command("broadcast", broadcast)
        small.commands.register_box_command("sync.now", sync_now)
        async with serve(small) as (url, app, api):
            yield Box(url, app, small, writer, api, events, snapshot, box_calls)


@pytest.fixture
async def http(box: Box) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(box.url, headers=DISTRICT) as session:
        yield session


async def get_json(http: aiohttp.ClientSession, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(path, **kwargs) as response:
        return response.status, await response.json()


async def post_json(http: aiohttp.ClientSession, body: Any, **kwargs: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    async with http.post("/api/v1/commands", data=data, headers=headers, **kwargs) as response:
        return response.status, await response.json()


# --- authentication ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {BOX_TOKEN}"},
     {"Authorization": "Bearer "}, {"Authorization": f"Bearer {BOX_TOKEN}x"}, {"Cookie": f"{COOKIE}={BOX_TOKEN}"}],
)
async def test_every_route_refuses_a_missing_or_wrong_token(
    box: Box, method: str, path: str, headers: dict[str, str]
) -> None:
    async with aiohttp.ClientSession(box.url) as anon, anon.request(
        method, path, json={"type": "gate.open", "device_id": "gate-1"}, headers=headers
    ) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Bearer <box token>" in (await response.json())["error"]
    assert box.small.executed == [] and box.small.recorded == []


@pytest.mark.parametrize(("method", "path"), ROUTES[:3])
@pytest.mark.parametrize(
    "headers",
    [DISTRICT, {"Authorization": f"bearer   {BOX_TOKEN}"}, {"Authorization": f"Bearer {CONSOLE_TOKEN}"},
     {"Cookie": f"{COOKIE}={CONSOLE_TOKEN}"}],
)
async def test_box_token_and_console_session_are_both_accepted(
    box: Box, method: str, path: str, headers: dict[str, str]
) -> None:
    async with aiohttp.ClientSession(box.url) as client, client.request(method, path, headers=headers) as r:
        assert r.status == 200


async def test_the_source_of_a_command_is_who_sent_it(box: Box) -> None:
    command = {"type": "gate.open", "device_id": "gate-1"}
    async with aiohttp.ClientSession(box.url) as client:
        assert (await post_json(client, command, headers=DISTRICT))[0] == 200
        assert (await post_json(client, command, headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"}))[0] == 200
        assert (await post_json(client, command, headers={"Cookie": f"{COOKIE}={CONSOLE_TOKEN}"}))[0] == 200
    assert [command.source for _, command in box.small.executed] == ["district", "console", "console"]
    assert [r.data["source"] for r in box.small.recorded] == ["district", "console", "console"]


async def test_the_source_of_a_box_command_is_who_sent_it_too(box: Box) -> None:
    command = {"type": "broadcast", "args": {"text": "停水通知"}}
    async with aiohttp.ClientSession(box.url) as client:
        assert (await post_json(client, command, headers=DISTRICT))[0] == 200
        assert (await post_json(client, command, headers={"Cookie": f"{COOKIE}={CONSOLE_TOKEN}"}))[0] == 200
        body = {**command, "source": "district"}  # claimed in the body: refused, whoever sends it
        status, reply = await post_json(client, body, headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"})
        assert status == 400 and "'source'" in reply["error"] and "credential" in reply["error"]
    assert [(r.type, r.device_id, r.data["command"], r.data["source"]) for r in box.small.recorded] == [
        ("command.result", None, "broadcast", "district"), ("command.result", None, "broadcast", "console"),
    ]


async def test_the_console_still_guards_its_own_routes(box: Box, http: aiohttp.ClientSession) -> None:
    assert await get_json(http, "/api/v1/status") == (401, {"error": "log in first"})  # box token: not a session
    status, _ = await get_json(http, "/api/v1/status", headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"})
    assert status == 200
    status, _ = await get_json(http, "/api/v1/nowhere")  # unrouted /api/ paths are the console's too
    assert status == 401


async def test_without_an_uplink_only_console_sessions_get_in(box: Box) -> None:
    small = small_box(box.small.store_path, box.small.media, token=None)
    async with serve(small) as (url, _app, _api), aiohttp.ClientSession(url) as client:
        assert (await get_json(client, "/api/v1/health", headers=DISTRICT))[0] == 401
        assert (await get_json(client, "/api/v1/health", headers={"Authorization": "Bearer "}))[0] == 401
        status, _ = await get_json(client, "/api/v1/health", headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"})
        assert status == 200


def test_routes_already_taken_are_refused(tmp_path: Path) -> None:
    app = web.Application()
    app.router.add_get("/api/v1/health", console_status)
    small = small_box(tmp_path / "e.db", MediaStore(tmp_path / "media"))
    with pytest.raises(RuntimeError, match="/api/v1/health"):
        add_sync_routes(app, small, lambda _token: False)


# --- events -----------------------------------------------------------------------


async def test_events_default_page_is_every_stored_event_as_on_the_wire(box: Box, http: aiohttp.ClientSession) -> None:
    status, page = await get_json(http, "/api/v1/events")
    assert status == 200
    wire.EventsPage.model_validate(page)
    assert page == {"events": [e.to_wire() for e in box.events], "last_seq": 12, "more": False}
    assert page["events"][-1]["media"] == [box.snapshot.to_wire()]
    assert page["events"][0]["data"] == {"i": 0, "who": "住户"}


async def test_pagination_by_after_seq_and_limit(box: Box, http: aiohttp.ClientSession) -> None:
    pages, after = [], 0
    while True:
        status, page = await get_json(http, "/api/v1/events", params={"after_seq": after, "limit": 5})
        assert status == 200 and page["last_seq"] == 12
        pages.append(([e["seq"] for e in page["events"]], page["more"]))
        if not page["more"]:
            break
        after = page["events"][-1]["seq"]
    assert pages == [([1, 2, 3, 4, 5], True), ([6, 7, 8, 9, 10], True), ([11, 12], False)]
    for after_seq in (12, 99):
        assert await get_json(http, "/api/v1/events", params={"after_seq": after_seq}) == (
            200, {"events": [], "last_seq": 12, "more": False}
        )
    status, page = await get_json(http, "/api/v1/events", params={"after_seq": 10, "limit": 2})
    assert ([e["seq"] for e in page["events"]], page["more"]) == ([11, 12], False)


async def test_an_event_committed_after_the_last_page_is_on_the_next_one(
    box: Box, http: aiohttp.ClientSession
) -> None:
    assert await get_json(http, "/api/v1/events", params={"after_seq": 12}) == (
        200, {"events": [], "last_seq": 12, "more": False}
    )
    late = await box.writer.append(draft(12))
    status, page = await get_json(http, "/api/v1/events", params={"after_seq": 12})
    assert page == {"events": [late.to_wire()], "last_seq": 13, "more": False}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after_seq=-1", "after_seq must be an integer from 0 to"),
        ("after_seq=abc", "got 'abc'"),
        ("after_seq=1.5", "after_seq must be an integer"),
        ("after_seq=", "got ''"),
        ("after_seq=%2B5", "got '+5'"),
        ("after_seq=1_0", "got '1_0'"),
        ("after_seq=%EF%BC%95", "after_seq must be an integer"),  # a full-width digit
        (f"after_seq={2**63}", "after_seq must be an integer"),
        ("after_seq=" + "9" * 5000, "after_seq must be an integer"),
        ("limit=0", "limit must be an integer from 1 to 500, got '0'"),
        ("limit=501", "from 1 to 500"),
        ("limit=-5", "limit must be"),
        ("after=3", "unknown query parameter 'after' (known: after_seq, limit)"),
        ("limit=1&limit=2", "limit given 2 times"),
    ],
)
async def test_bad_event_parameters_are_400_with_a_clear_message(
    box: Box, http: aiohttp.ClientSession, query: str, message: str
) -> None:
    status, body = await get_json(http, URL(f"/api/v1/events?{query}", encoded=True))
    assert status == 400
    wire.Error.model_validate(body)
    assert message in body["error"]


async def test_an_unreadable_store_is_503(box: Box, tmp_path: Path) -> None:
    small = small_box(tmp_path / "missing.db", box.small.media)
    async with serve(small) as (url, _app, _api), aiohttp.ClientSession(url, headers=DISTRICT) as client:
        status, body = await get_json(client, "/api/v1/events")
        assert status == 503 and "cannot be read" in body["error"]
        status, body = await get_json(client, "/api/v1/media/" + box.snapshot.sha256)
        assert status == 503
    assert not (tmp_path / "missing.db").exists(), "a read-only reader must not create the store"


# --- health -----------------------------------------------------------------------


async def test_health(box: Box, http: aiohttp.ClientSession) -> None:
    status, health = await get_json(http, "/api/v1/health")
    assert status == 200
    wire.Health.model_validate(health)
    assert health == {
        "status": "ok", "box_id": "box-7", "version": "0.1.0", "uptime_s": 42.5,
        "devices": {"online": 2, "degraded": 1, "offline": 0}, "last_seq": 12, "clock_synced": True,
    }
    box.small.status_body["counts"] = {"online": 2, "degraded": 0, "offline": 1}
    _, health = await get_json(http, "/api/v1/health")
    assert (health["status"], health["devices"]["offline"]) == ("degraded", 1)


# --- commands ---------------------------------------------------------------------


async def test_a_device_command_is_dispatched_from_the_district(box: Box, http: aiohttp.ClientSession) -> None:
    status, reply = await post_json(http, {"type": "gate.open", "device_id": "gate-1", "args": {"seconds": 5}})
    assert (status, reply) == (200, {"ok": True, "detail": "opened", "data": {"relay": 1}})
    wire.CommandReply.model_validate(reply)
    [(device_id, command)] = box.small.executed
    assert (device_id, command.type, command.args, command.source) == ("gate-1", "gate.open", {"seconds": 5}, "district")
    assert box.small.recorded == [Recorded("command.result", 3, {
        "command": "gate.open", "args": {"seconds": 5}, "source": "district", "ok": True, "detail": "opened",
    }, "gate-1")]
    await post_json(http, {"type": "gate.close", "device_id": "gate-1"})
    assert box.small.executed[1][1].args == {}


async def test_a_device_level_failure_is_200_with_ok_false(box: Box, http: aiohttp.ClientSession) -> None:
    status, reply = await post_json(http, {"type": "gate.open", "device_id": "gate-2"})
    assert (status, reply) == (200, {"ok": False, "detail": "device is offline: no answer", "data": {}})
    assert box.small.executed == []
    [result] = box.small.recorded
    assert (result.priority, result.device_id, result.data["ok"], result.data["detail"]) == (
        2, "gate-2", False, "device is offline: no answer"
    )


async def test_box_level_commands_go_to_their_handlers(box: Box, http: aiohttp.ClientSession) -> None:
    status, reply = await post_json(http, {"type": "broadcast", "args": {"text": "停水通知"}})
    assert (status, reply) == (200, {"ok": True, "detail": "done", "data": {"speakers": 2}})
    status, reply = await post_json(http, {"type": "sync.now", "device_id": None})
    assert (status, reply) == (200, {"ok": False, "detail": "the district is unreachable", "data": {}})
    status, reply = await post_json(http, {"type": "broadcast", "args": {}})
    assert status == 400 and reply["detail"] == reply["error"] == 'broadcast: "text" is required'
    wire.CommandRejected.model_validate(reply)
    assert box.box_calls == [("broadcast", {"text": "停水通知"}), ("sync.now", {}), ("broadcast", {})]
    assert box.small.executed == []  # no device was asked
    assert [(r.device_id, r.data["command"], r.data["ok"], r.data["detail"], r.data["source"]) for r in box.small.recorded] == [
        (None, "broadcast", True, "done", "district"),
        (None, "sync.now", False, "the district is unreachable", "district"),
        (None, "broadcast", False, '"text" is required', "district"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'["gate.open"]', 400, "must be a JSON object"),
        ({"device_id": "gate-1"}, 400, '"type" must be a non-empty string'),
        ({"type": "", "device_id": "gate-1"}, 400, '"type" must be a non-empty string'),
        ({"type": "gate.open", "device_id": ""}, 400, '"device_id" must be a non-empty string'),
        ({"type": "gate.open", "device_id": 7}, 400, '"device_id" must be a non-empty string'),
        ({"type": "gate.open", "device_id": "gate-1", "args": [1]}, 400, '"args" must be a JSON object'),
        ({"type": "gate.open", "device_id": "gate-1", "source": "rule:x"}, 400, "unknown field 'source'"),
        ({"type": "gate.open"}, 400, '"device_id" is required'),
        ({"type": "broadcast", "device_id": "gate-1", "args": {"text": "x"}}, 400, "box-level command"),
        (
            {"type": "gate.explode", "device_id": "gate-1"}, 400,
            "unknown command type 'gate.explode'; known: broadcast, sync.now, gate.close, gate.open, sim.press",
        ),
        ({"type": "gate.open", "device_id": "gate-9"}, 404, "no device 'gate-9'"),
    ],
)
async def test_bad_commands_are_refused_before_anything_runs(
    box: Box, http: aiohttp.ClientSession, body: Any, status: int, message: str
) -> None:
    got, reply = await post_json(http, body)
    assert got == status
    wire.CommandRejected.model_validate(reply)
    assert message in reply["detail"]
    assert box.small.executed == [] and box.small.recorded == [] and box.box_calls == []


# --- media ------------------------------------------------------------------------


async def test_media_is_served_with_its_type_and_sha256_etag(box: Box, http: aiohttp.ClientSession) -> None:
    sha = box.snapshot.sha256
    async with http.get(f"/api/v1/media/{sha}") as response:
        assert response.status == 200
        assert await response.read() == JPEG
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["ETag"] == f'"{sha}"'
        assert response.headers["Content-Length"] == str(len(JPEG))
    async with http.get(f"/api/v1/media/{sha}", headers={"If-None-Match": f'"{sha}"'}) as response:
        assert response.status == 304 and response.headers["ETag"] == f'"{sha}"'
        assert await response.read() == b""
    async with http.head(f"/api/v1/media/{sha}") as response:
        assert response.status == 200 and response.headers["Content-Length"] == str(len(JPEG))


async def test_unknown_media_is_404(box: Box, http: aiohttp.ClientSession) -> None:
    status, body = await get_json(http, "/api/v1/media/" + "ab" * 32)
    assert status == 404 and "no media" in body["error"]
    box.small.media.path_for(box.snapshot.sha256).unlink()  # indexed, but the file is gone
    status, body = await get_json(http, "/api/v1/media/" + box.snapshot.sha256)
    assert status == 404 and "file is gone" in body["error"]


@pytest.mark.parametrize(
    "name",
    ["abc", "AB" * 32, "g" * 64, "0" * 65, "..%2F..%2Fevents.db", "..%2Fmedia%2F" + "0" * 50, "%00" * 64,
     "0" * 64 + "%0A"],
)
async def test_a_media_id_that_is_not_a_sha256_is_400(box: Box, http: aiohttp.ClientSession, name: str) -> None:
    async with http.get(URL(f"/api/v1/media/{name}", encoded=True)) as response:
        assert response.status == 400
        assert "not a sha256" in (await response.json())["error"]


async def test_no_path_traversal_reaches_the_store(box: Box) -> None:
    async with aiohttp.ClientSession(box.url, headers=DISTRICT) as http:
        for path in ("/api/v1/media/../../events.db", "/api/v1/media/%2e%2e/%2e%2e/events.db"):
            async with http.get(URL(path, encoded=True)) as response:
                body = await response.read()
                assert response.status == 401  # resolved to /api/events.db: not a sync route, the console's
                assert b"SQLite format" not in body


# --- the OpenAPI document ---------------------------------------------------------


async def test_openapi_describes_every_route(box: Box, http: aiohttp.ClientSession) -> None:
    async with http.get("/api/v1/openapi.json") as response:
        assert response.status == 200 and response.content_type == "application/json"
        doc = json.loads(await response.read())
    assert doc["openapi"] == "3.1.0"
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in box.app.router.routes()
        if route.method != "HEAD" and route.resource is not None and route.resource.canonical != "/api/v1/status"
    }
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert documented == served
    assert len(served) == len(ROUTES)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (method, path)
            assert "401" in operation["responses"], "every route is authenticated"

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in doc["components"]["schemas"]
    event = doc["components"]["schemas"]["Event"]
    assert set(event["properties"]) == set(event["required"]) == set(box.events[0].to_wire())
    assert set(doc["components"]["schemas"]["MediaRef"]["properties"]) == set(box.snapshot.to_wire())
