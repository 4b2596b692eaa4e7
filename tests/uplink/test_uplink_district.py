"""The uplink against a real district server on loopback: each event once, alarms first, faults survived."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from edge.bench.district import DistrictServer
from edge.config.model import EdgeConfig
from edge.daemon.app import Daemon
from edge.events.model import EventDraft
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.uplink.conftest import uplink_site


@pytest.fixture
async def district():
    async with DistrictServer(tokens=["box-token"]) as server:
        yield server


def site(
    tmp_path: Path, district: DistrictServer, batch: int = 500, timeout: float = 5.0, *, console: bool = False, uplink: str = ""
) -> EdgeConfig:
    """Box ``box-7`` uploading to ``district`` in batches of ``batch``; ``uplink``: more [uplink] keys."""
    extra = f'batch_max_events = {batch}\n{uplink}\n[uplink.https]\nbase_url = "{district.base_url}"\ntimeout_s = {timeout}'
    return uplink_site("box-7", tmp_path / "var", extra, console=console)


async def backlog(daemon: Daemon, n: int, priority: int = 3, type_: str = "door.opened") -> None:
    await asyncio.gather(*(
        daemon.writer.append(EventDraft(type_, priority, datetime.now(UTC), True, "gate-1", {"i": i}))
        for i in range(n)
    ))


def exactly_once(district: DistrictServer, daemon: Daemon) -> None:
    seqs = district.seqs("box-7")
    assert seqs == list(range(1, len(seqs) + 1)), "the district's seq has a gap"
    arrived = [e["event_id"] for e in district.arrived("box-7")]
    assert len(arrived) == len(set(arrived))


async def test_every_event_arrives_once_in_order_of_urgency(tmp_path: Path, district: DistrictServer) -> None:
    async with running_daemon(site(tmp_path, district, batch=50)) as running:
        daemon = running.daemon
        await wait_until(lambda: len(district.seqs("box-7")) >= 1, 5)  # daemon.started
        before_outage = len(district.arrived("box-7"))
        await district.go_down()
        await backlog(daemon, 300)
        await backlog(daemon, 3, priority=0, type_="sos.pressed")
        await district.come_up()
        await wait_until(lambda: len(district.seqs("box-7")) >= 304, 10)
    exactly_once(district, daemon)
    after = district.arrived("box-7")[before_outage:]
    first_types = [e["type"] for e in after[:3]]
    assert first_types == ["sos.pressed"] * 3, "alarms go first after an outage"


async def test_500s_slow_replies_and_cut_connections_lose_and_double_nothing(
    tmp_path: Path, district: DistrictServer
) -> None:
    async with running_daemon(site(tmp_path, district, batch=40, timeout=0.5)) as running:
        daemon = running.daemon
        district.fail_next(3, status=503)
        await backlog(daemon, 100)
        await wait_until(lambda: len(district.seqs("box-7")) >= 50, 10)
        district.cut_mid_batch = 2  # stored by the server, but the box never hears so
        district.delay_s = 1.0  # slower than the box's 0.5 s timeout
        await backlog(daemon, 100)
        await asyncio.sleep(1.5)
        district.delay_s = 0.0
        await wait_until(lambda: len(district.seqs("box-7")) >= daemon.writer.last_seq, 10)
    exactly_once(district, daemon)
    assert district.duplicates >= 1, "retried batches reached the server twice and were deduplicated"
    assert daemon.uplink.sender.stats["failures"] >= 3


async def test_rejected_events_are_dead_lettered_and_never_block(tmp_path: Path, district: DistrictServer) -> None:
    district.reject_types = {"camera.stats"}
    async with running_daemon(site(tmp_path, district, batch=10)) as running:
        daemon = running.daemon
        await backlog(daemon, 5, type_="camera.stats")
        await backlog(daemon, 20)
        await wait_until(lambda: len(district.seqs("box-7")) >= daemon.writer.last_seq - 5, 10)
        summary = await daemon.uplink.outbox.pending()
        assert summary["dead"] == 5 and summary["pending"]["3"] == 0
    assert "camera.stats" not in {e["type"] for e in district.arrived("box-7")}


async def test_wrong_token_is_retried_calmly_and_logged_once(tmp_path: Path, district: DistrictServer) -> None:
    district.tokens = {"another-token"}
    with capture_logs() as logs:
        async with running_daemon(site(tmp_path, district)) as running:
            daemon = running.daemon
            await wait_until(lambda: daemon.uplink.sender.stats["failures"] >= 3, 5)
            district.tokens = {"box-token"}
            await wait_until(lambda: len(district.seqs("box-7")) >= 1, 5)
    exactly_once(district, daemon)
    failing = [entry for entry in logs if entry["event"] == "uplink.failing"]
    assert len(failing) == 1 and "refused the box token" in failing[0]["reason"]
    assert [entry["event"] for entry in logs].count("uplink.recovered") == 1


async def test_central_server_reconciles_through_the_box_sync_api(tmp_path: Path, district: DistrictServer) -> None:
    async with running_daemon(site(tmp_path, district, console=True)) as running:
        daemon = running.daemon
        await backlog(daemon, 7)
        bearer = {"Authorization": "Bearer box-token"}
        async with aiohttp.ClientSession() as http:
            async with http.get(daemon.console.url + "api/v1/events?after_seq=2&limit=3", headers=bearer) as r:
                page = await r.json()
            async with http.get(daemon.console.url + "api/v1/events", headers={"Authorization": "Bearer nope"}) as r:
                assert r.status == 401
            async with http.get(daemon.console.url + "api/v1/openapi.json", headers=bearer) as r:
                assert "/api/v1/events" in (await r.json())["paths"]
        assert [e["seq"] for e in page["events"]] == [3, 4, 5] and page["more"] is True


async def test_sync_now_from_the_central_server_pulls_signed_changes(tmp_path: Path, district: DistrictServer) -> None:
    keys = f'district_public_key = "{district.public_key_b64}"\nchanges_poll_s = 3600'
    async with running_daemon(site(tmp_path, district, console=True, uplink=keys)) as running:
        daemon = running.daemon
        await wait_until(lambda: daemon.downlink.status()["cursor"] is not None, 5)  # the first sync
        district.add_change("resident", "upsert", "r-1", {"name": "王芳", "household": "3-2-301"})
        bearer = {"Authorization": "Bearer box-token"}
        async with aiohttp.ClientSession() as http, http.post(
            daemon.console.url + "api/v1/commands", json={"type": "sync.now"}, headers=bearer
        ) as r:
            assert (await r.json())["ok"] is True
        query = "SELECT data FROM residents WHERE id = 'r-1' AND deleted = 0"
        found: list = []
        async with asyncio.timeout(5):
            while not found:
                found[:] = await daemon.writer.run(lambda c: c.execute(query).fetchall())
                await asyncio.sleep(0.05)
        assert "王芳" in found[0][0]


async def test_a_batch_refused_as_too_large_is_split_and_still_delivered_once(
    tmp_path: Path, district: DistrictServer
) -> None:
    async with running_daemon(site(tmp_path, district, batch=40)) as running:
        daemon = running.daemon
        await wait_until(lambda: len(district.seqs("box-7")) >= 1, 5)
        district.fail_next(2, status=413)
        await backlog(daemon, 60)
        await wait_until(lambda: len(district.seqs("box-7")) >= daemon.writer.last_seq, 10)
    exactly_once(district, daemon)
    assert (await_summary := daemon.uplink.sender.stats)["rejected"] == 0, await_summary
