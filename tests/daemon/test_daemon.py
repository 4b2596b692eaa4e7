"""The daemon in-process: devices come online, commands reach drivers, shutdown flushes the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from edge.cli.status_cmd import fetch_status
from edge.config.model import EdgeConfig
from edge.daemon.app import Daemon
from edge.store import EventReader
from edge.timesync import ClockSync
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.sites import load_site


@pytest.fixture
def site(tmp_path: Path) -> EdgeConfig:
    return load_site("sim-basic", data=tmp_path / "var", console_port=0)


async def post(socket: Path, route: str, body: dict) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(socket))) as session,
        session.post(f"http://edge{route}", json=body) as response,
    ):
        return response.status, await response.json()


async def command(socket: Path, body: dict) -> dict:
    return (await post(socket, "/commands", body))[1]


async def test_daemon_runs_devices_and_commands_and_stops_cleanly(site: EdgeConfig) -> None:
    async with running_daemon(site, clock_sync=ClockSync(fixed=False), online=4) as running:
        daemon = running.daemon
        status = await fetch_status(daemon.control.path)
        assert {d["device_id"]: d["state"] for d in status["devices"]} == {
            "gate-1": "online", "sos-1": "online", "cam-1": "online", "spk-1": "online",
        }
        assert status["box_id"] == "test-box" and status["clock_synced"] is False

        opened = await command(daemon.control.path, {"device_id": "gate-1", "type": "gate.open", "args": {"ms": 500}})
        assert opened["ok"] is True
        refused = await command(daemon.control.path, {"device_id": "gate-1", "type": "speaker.play"})
        assert refused["ok"] is False and "does not support" in refused["detail"]
        missing = await command(daemon.control.path, {"device_id": "nope", "type": "gate.open"})
        assert missing["ok"] is False and "no device" in missing["detail"]
        await command(daemon.control.path, {"device_id": "sos-1", "type": "sim.press"})
        await wait_until(lambda: daemon.writer.last_seq >= 10)

        daemon.drivers["cam-1"].unplug()
        await wait_until(lambda: daemon.health.get("cam-1").state.value == "offline")
        daemon.drivers["cam-1"].replug()
        await wait_until(lambda: daemon.health.get("cam-1").state.value == "online")
    assert not daemon.control.path.exists()
    with EventReader(daemon.writer.path) as reader:
        events = list(reader.iter_all())
    types = [e.type for e in events]
    assert types[0] == "daemon.started" and types[-1] == "daemon.stopped"
    assert "gate.relay" in types and "sos.pressed" in types
    results = [e.data for e in events if e.type == "command.result"]
    assert [(r["command"], r["ok"]) for r in results[:3]] == [
        ("gate.open", True), ("speaker.play", False), ("gate.open", False)
    ]
    sos = next(e for e in events if e.type == "sos.pressed")
    assert sos.priority == 0 and sos.device_id == "sos-1"
    offline = next(e for e in events if e.type == "device.offline")
    assert offline.device_id == "cam-1" and "unplugged" in offline.data["reason"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def test_control_socket_rejects_malformed_commands(site: EdgeConfig) -> None:
    async with running_daemon(site, clock_sync=ClockSync(fixed=False)) as running:
        daemon = running.daemon
        await wait_until(lambda: daemon.control.path.exists() and daemon.writer.last_seq >= 1)
        answer = await command(daemon.control.path, {"type": "gate.open"})
        assert answer["ok"] is False and "bad request" in answer["detail"]
        claimed = {"device_id": "gate-1", "type": "gate.open", "source": "district"}
        status, answer = await post(daemon.control.path, "/commands", claimed)
        assert status == 400 and answer["ok"] is False
        assert answer["detail"].startswith("bad request: unknown field 'source'")
    with EventReader(daemon.writer.path) as reader:
        assert [e for e in reader.iter_all() if e.type == "command.result"] == []


async def test_box_commands_through_the_control_socket_are_the_clis_and_recorded(site: EdgeConfig) -> None:
    async with running_daemon(site, clock_sync=ClockSync(fixed=False), online=4) as running:
        daemon = running.daemon
        socket = daemon.control.path
        announced = await post(socket, "/box-commands", {"type": "broadcast", "args": {"text": "hello", "voice": "en"}})
        assert announced[0] == 200 and announced[1]["ok"] is True and announced[1]["detail"] == "done"
        assert announced[1]["data"]["speakers"] == ["spk-1"]
        assert await post(socket, "/box-commands", {"type": "broadcast", "args": {}}) == (
            400, {"ok": False, "detail": 'broadcast: "text" is required'}
        )
        status, unknown = await post(socket, "/box-commands", {"type": "explode"})
        assert status == 400 and unknown["detail"] == "bad request: unknown box command 'explode' (known: broadcast)"
        status, claimed = await post(socket, "/box-commands", {"type": "broadcast", "text": "x", "source": "district"})
        assert status == 400 and claimed["detail"].startswith("bad request: unknown field 'source'")
    with EventReader(daemon.writer.path) as reader:
        results = [e for e in reader.iter_all() if e.type == "command.result"]
    assert [(e.device_id, e.data["command"], e.data["ok"], e.data["source"]) for e in results] == [
        (None, "broadcast", True, "cli"), (None, "broadcast", False, "cli"),
    ]


async def test_port_in_use_fails_start_and_releases_everything(tmp_path: Path) -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    built: list[Daemon] = []
    try:
        with pytest.raises(OSError):
            async with running_daemon(load_site("sim-basic", data=tmp_path / "var2", console_port=port),
                                      clock_sync=ClockSync(fixed=False), prepare=built.append):
                pass
        (second,) = built
    finally:
        blocker.close()
        await blocker.wait_closed()
    assert not second.writer.alive and not second.control.path.exists()
