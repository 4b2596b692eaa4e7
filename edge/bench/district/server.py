"""``DistrictServer``: a real HTTP district on 127.0.0.1 that speaks the sync contract, with faults on demand.

Uplink: ``POST /v1/boxes/{box}/events`` stores events once per ``event_id``
(a duplicate counts as accepted) and lists contract-breaking ones under
"rejected"; ``PUT /v1/boxes/{box}/media/{sha256}`` keeps files, idempotently.
Downlink: ``GET /v1/boxes/{box}/changes?since=&limit=`` pages a changes log the
test appends to (the cursor is a position in it), 410 for cursors older than
``expire_before``; ``GET /v1/boxes/{box}/snapshot`` folds the log into its
current items. Pages, snapshots and 410s carry the envelope of
``envelope.py`` (box, since, serial, issued_at) and are Ed25519-signed
(``X-Edge-Signature``) unless ``signing`` says otherwise; ``faults``
(``DownlinkFaults``) replays the first snapshot/page served, names another
box or cursor, or answers an unsigned 410. One changes log serves every box.

Faults, all switchable while running: ``go_down()`` / ``come_up()`` (stop
listening and drop connections, then listen again on the same port),
``fail_next(n, status)``, ``delay_s``, ``cut_mid_batch`` (store the next N
event batches, then drop the connection unanswered), ``reject_types``.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import ssl
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.bench.district.contract import event_problem
from edge.bench.district.envelope import DownlinkFaults, envelope
from edge.bench.district.signing import generate_keypair, public_key_b64, sign

SIGNATURE_HEADER = "X-Edge-Signature"
CHANGE_KINDS = frozenset({"resident", "face", "grant", "config", "broadcast"})


_CUT = web.RequestKey("cut", bool)
TAMPERED_CHANGE = {"kind": "grant", "op": "upsert", "id": "tampered", "data": {"gate": "*", "note": "added in transit"}}


class Signing(enum.StrEnum):
    VALID = "valid"
    UNSIGNED = "unsigned"  # no X-Edge-Signature header
    BAD = "bad"  # signed with another key
    TAMPERED = "tampered"  # signed, then a grant added to the body


@dataclass(frozen=True, slots=True)
class StoredMedia:
    data: bytes
    content_type: str


@dataclass(slots=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    at: float  # loop time on arrival
    status: int | None = None  # None: the connection was cut without a reply


class DistrictServer:
    def __init__(
        self,
        tokens: Iterable[str] = ("box-token",),
        *,
        signing_key: Ed25519PrivateKey | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        page_limit: int = 500,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.tokens = set(tokens)
        self.ssl_context = ssl_context  # serve HTTPS (and ask for client certificates, if it says so)
        self.signing_key, self.public_key_b64 = _keypair(signing_key)
        self.host, self._port, self.page_limit = host, port, page_limit
        self.events: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # box -> event_id -> EVENT
        self.arrivals: dict[str, list[str]] = defaultdict(list)  # box -> event ids in arrival order
        self.duplicates = 0
        self.media: dict[str, StoredMedia] = {}
        self.media_puts = 0
        self.requests: list[LoggedRequest] = []
        self.changes: list[dict[str, Any]] = []  # the downlink log; position = cursor
        self.delay_s = 0.0
        self.cut_mid_batch = 0  # cut the next N event batches (True: the next one)
        self.reject_types: set[str] = set()
        self.signing = Signing.VALID
        self.faults = DownlinkFaults()
        self.recorded: dict[str, web.Response] = {}  # "snapshot"/"changes" -> the first one served, for replays
        self._failures: deque[int] = deque()
        self._expired_before = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # --- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/v1/boxes/{box_id}/events", self._post_events)
        app.router.add_put("/v1/boxes/{box_id}/media/{sha256}", self._put_media)
        app.router.add_get("/v1/boxes/{box_id}/changes", self._get_changes)
        app.router.add_get("/v1/boxes/{box_id}/snapshot", self._get_snapshot)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await self.come_up()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None

    async def __aenter__(self) -> DistrictServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the district server is not started")
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self._port}"

    @property
    def down(self) -> bool:
        return self._site is None

    async def go_down(self) -> None:
        """Refuse connections: stop listening and drop every open connection."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in self._runner.server.connections:
            connection.force_close()

    async def come_up(self) -> None:
        """Listen again, on the same port as before."""
        if self._site is None:
            assert self._runner is not None
            site = web.TCPSite(
                self._runner, self.host, self._port, ssl_context=self.ssl_context, reuse_address=True
            )
            await site.start()
            self._site, self._port = site, site.port

    # --- knobs and state -----------------------------------------------------

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` requests (any endpoint) with ``status``."""
        self._failures.extend([status] * n)

    def seqs(self, box_id: str) -> list[int]:
        return sorted(event["seq"] for event in self.events[box_id].values())

    def arrived(self, box_id: str) -> list[dict[str, Any]]:
        """The box's stored events in arrival order."""
        return [self.events[box_id][event_id] for event_id in self.arrivals[box_id]]

    def add_change(self, kind: str, op: str, id: str, data: dict[str, Any] | None = None) -> str:
        """Append to the changes log; return the cursor just after it."""
        if kind not in CHANGE_KINDS or op not in ("upsert", "delete"):
            raise ValueError(f"not a change of the contract: {kind} {op}")
        self.changes.append({"kind": kind, "op": op, "id": id, "data": dict(data or {})})
        return str(len(self.changes))

    def expire_before(self, cursor: str | int) -> None:
        """Cursors older than ``cursor`` now get 410 Gone."""
        self._expired_before = int(cursor)

    def current(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, id) -> data of every item alive after the whole log."""
        items: dict[tuple[str, str], dict[str, Any]] = {}
        for change in self.changes:
            key = (change["kind"], change["id"])
            items.pop(key, None)
            if change["op"] == "upsert":
                items[key] = change["data"]
        return items

    # --- HTTP ----------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        entry = LoggedRequest(request.method, request.path, dict(request.query), asyncio.get_running_loop().time())
        self.requests.append(entry)
        try:
            response = await self._respond(request, handler)
        except web.HTTPException as exc:
            entry.status = exc.status
            raise
        entry.status = None if request.get(_CUT) else response.status
        return response

    async def _respond(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.delay_s > 0:
            await asyncio.sleep(self.delay_s)
        if self._failures:
            return _error(self._failures.popleft(), "injected failure")
        if request.headers.get("Authorization") not in {f"Bearer {token}" for token in self.tokens}:
            return _error(401, "missing or wrong box token")
        return await handler(request)

    async def _post_events(self, request: web.Request) -> web.Response:
        box_id = request.match_info["box_id"]
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, "body is not JSON")
        if not isinstance(body, dict) or body.get("box_id") != box_id or not isinstance(body.get("events"), list):
            return _error(400, 'body must be {"box_id": <this box>, "events": [...]}')
        accepted, rejected = [], []
        for event in body["events"]:
            event_id, reason = self._take(box_id, event)
            if reason is None:
                accepted.append(event_id)
            else:
                rejected.append({"event_id": event_id, "reason": reason})
        if self.cut_mid_batch:
            self.cut_mid_batch -= 1
            request[_CUT] = True
            request.protocol.force_close()  # stored, but the box never hears so
        return web.json_response({"accepted": accepted, "rejected": rejected})

    def _take(self, box_id: str, event: Any) -> tuple[str, str | None]:
        """Store one event unless it breaks the contract; (event_id, reason it was rejected)."""
        event_id = event.get("event_id") if isinstance(event, dict) else None
        event_id = event_id if isinstance(event_id, str) else ""
        reason = event_problem(event)
        if reason is not None:
            return event_id, reason
        stored = self.events[box_id]
        if event_id in stored:
            self.duplicates += 1
            return event_id, None
        if event["type"] in self.reject_types:
            return event_id, f"type {event['type']} is not accepted"
        stored[event_id] = event
        self.arrivals[box_id].append(event_id)
        return event_id, None

    async def _put_media(self, request: web.Request) -> web.Response:
        sha256 = request.match_info["sha256"]
        data = await request.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            return _error(400, "body does not match its sha256")
        if "Content-Type" not in request.headers:
            return _error(400, "Content-Type missing")
        self.media_puts += 1
        new = sha256 not in self.media
        self.media[sha256] = StoredMedia(data, request.headers["Content-Type"])
        return web.json_response({"sha256": sha256, "bytes": len(data), "new": new})

    async def _get_changes(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since") or 0)
            limit = min(max(int(request.query.get("limit") or self.page_limit), 1), self.page_limit)
        except ValueError:
            return _error(400, "since and limit are integers here")
        if not 0 <= since <= len(self.changes):
            return _error(400, f"unknown cursor {since}")
        asked = request.query.get("since")
        if self.faults.unsigned_410:
            return _error(410, "cursor expired: fetch the snapshot")
        if self.faults.replay == "changes" and "changes" in self.recorded:
            return _copy(self.recorded["changes"])
        head = self._envelope(request, "999999" if self.faults.wrong_since else asked)
        if since < self._expired_before:
            return self._signed({**head, "expired": True, "error": "cursor expired: fetch the snapshot"}, 410)
        changes = self.changes[since : since + limit]
        cursor = since + len(changes)
        page = {**head, "cursor": str(cursor), "more": cursor < len(self.changes), "changes": changes}
        return self._keep("changes", self._signed(page))

    async def _get_snapshot(self, request: web.Request) -> web.Response:
        if self.faults.replay == "snapshot" and "snapshot" in self.recorded:
            return _copy(self.recorded["snapshot"])
        changes = [
            {"kind": kind, "op": "upsert", "id": id, "data": data} for (kind, id), data in self.current().items()
        ]
        page = {**self._envelope(request, None), "cursor": str(len(self.changes)), "more": False, "changes": changes}
        return self._keep("snapshot", self._signed(page))

    def _envelope(self, request: web.Request, since: str | None) -> dict[str, Any]:
        box_id = self.faults.other_box or request.match_info["box_id"]
        return envelope(box_id, since, len(self.changes), self.faults.issued_at)

    def _keep(self, what: str, response: web.Response) -> web.Response:
        self.recorded.setdefault(what, response)  # replayed as a copy: one Response cannot be sent twice
        return response

    def _signed(self, page: dict[str, Any], status: int = 200) -> web.Response:
        body = _dumps(page)
        headers = {"Content-Type": "application/json"}
        if self.signing == Signing.VALID:
            headers[SIGNATURE_HEADER] = sign(self.signing_key, body)
        elif self.signing == Signing.BAD:
            headers[SIGNATURE_HEADER] = sign(Ed25519PrivateKey.generate(), body)
        elif self.signing == Signing.TAMPERED:
            headers[SIGNATURE_HEADER] = sign(self.signing_key, body)
            body = _dumps({**page, "changes": [*page["changes"], TAMPERED_CHANGE]})
        return web.Response(body=body, headers=headers, status=status)


def _copy(response: web.Response) -> web.Response:
    headers = {"Content-Type": "application/json"}
    if SIGNATURE_HEADER in response.headers:
        headers[SIGNATURE_HEADER] = response.headers[SIGNATURE_HEADER]
    return web.Response(body=response.body, headers=headers, status=response.status)


def _keypair(private: Ed25519PrivateKey | None) -> tuple[Ed25519PrivateKey, str]:
    return generate_keypair() if private is None else (private, public_key_b64(private))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
