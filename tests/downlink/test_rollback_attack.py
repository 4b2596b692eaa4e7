"""Attack 2 of issue 15 against the real daemon: an on-path proxy answers /changes with an unsigned 410, then
replays the first, validly signed snapshot. Before the envelope, the revoked grant came back, the suspension
vanished and the cursor went back; now the 410 is refused, the box keeps its cursor and state, the refusal is
recorded once; and a replayed snapshot after a genuine (signed) 410 is refused for its older serial."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from edge.bench.district import DistrictServer
from edge.downlink import CURSOR_KEY
from tests.downlink.helpers import BOX, TOKEN, rows
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.sites import load_site


class Proxy:
    """An on-path proxy on loopback: forwards to the district, records the first snapshot, and on demand
    answers /changes with a forged unsigned 410 and /snapshot with the recorded one."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.forge_410, self.replay = upstream, False, False
        self.first_snapshot: tuple[bytes, dict[str, str]] | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.forge_410 and request.path.endswith("/changes"):
            return web.json_response({"error": "cursor expired: fetch the snapshot"}, status=410)
        if self.replay and request.path.endswith("/snapshot") and self.first_snapshot is not None:
            body, headers = self.first_snapshot
            return web.Response(body=body, headers=headers)
        forwarded = {k: v for k, v in request.headers.items() if k in ("Authorization", "Content-Type")}
        async with aiohttp.ClientSession() as session, session.request(
            request.method, self.upstream + request.path_qs, headers=forwarded, data=await request.read()
        ) as answer:
            body = await answer.read()
            headers = {k: v for k, v in answer.headers.items() if k in ("Content-Type", "X-Edge-Signature")}
        if request.path.endswith("/snapshot") and self.first_snapshot is None:
            self.first_snapshot = (body, headers)
        return web.Response(body=body, headers=headers, status=answer.status)

    async def __aenter__(self) -> Proxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture(autouse=True)
def box_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TEST_BOX_TOKEN", TOKEN)


@pytest.fixture
async def proxied() -> AsyncIterator[tuple[DistrictServer, Proxy]]:
    async with DistrictServer(tokens=[TOKEN]) as district, Proxy(district.base_url) as proxy:
        yield district, proxy


async def synced(daemon, cursor: str) -> None:
    daemon.downlink.request_sync()
    await wait_until(lambda: daemon.downlink.cursor == cursor and not daemon.downlink.status()["failing"], 10)


async def test_forged_410_then_replayed_snapshot_changes_nothing(tmp_path: Path, proxied) -> None:
    district, proxy = proxied
    district.add_change("resident", "upsert", "r1", {"name": "Ana"})
    district.add_change("grant", "upsert", "g1", {"person_id": "r1", "gate": "north"})
    site = load_site("downlink", data=tmp_path / "var", url=proxy.url, public_key=district.public_key_b64)
    async with running_daemon(site) as running:
        daemon = running.daemon
        await synced(daemon, "2")  # the first snapshot: recorded by the proxy
        district.add_change("grant", "delete", "g1")  # revoked
        district.add_change("resident", "upsert", "r1", {"name": "Ana", "suspended": True})  # suspended
        await synced(daemon, "4")
        before = await rows(daemon.writer, "SELECT id, deleted, data FROM grants UNION ALL "
                                           "SELECT id, deleted, data FROM residents ORDER BY 1")
        proxy.forge_410 = proxy.replay = True
        daemon.downlink.request_sync()
        await wait_until(lambda: running.of_type("sync.refused"), 10)
        assert daemon.downlink.status()["failing"]
        after = await rows(daemon.writer, "SELECT id, deleted, data FROM grants UNION ALL "
                                          "SELECT id, deleted, data FROM residents ORDER BY 1")
        assert after == before  # the revoked grant stays revoked, the suspension stays
        assert await rows(daemon.writer, "SELECT value FROM sync_state WHERE key = ?", CURSOR_KEY) == [("4",)]
        [refusal] = running.of_type("sync.refused")
        assert refusal.data["endpoint"] == "changes" and "410" in refusal.data["reason"]
        assert refusal.data["since"] == "4"

        # a genuine, signed 410, and the proxy replays the old snapshot: refused for its older serial
        proxy.forge_410 = False
        district.expire_before(district.add_change("resident", "upsert", "r2", {"name": "Ben"}))
        daemon.downlink.request_sync()
        await wait_until(lambda: running.of_type("sync.rollback_refused"), 10)
        assert "serial older" in running.of_type("sync.rollback_refused")[0].data["reason"]
        assert await rows(daemon.writer, "SELECT id, deleted, data FROM grants UNION ALL "
                                         "SELECT id, deleted, data FROM residents ORDER BY 1") == before
        assert await rows(daemon.writer, "SELECT value FROM sync_state WHERE key = ?", CURSOR_KEY) == [("4",)]
    assert site.site.box_id == BOX
