"""The daemon with an MQTT uplink to a real mosquitto: events out, commands in, a broker restart survived."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt

from edge.bench.district import DistrictServer
from edge.commands import Caller, CommandRequest
from edge.config.model import EdgeConfig
from tests.fakes import wait_until
from tests.harness import RunningDaemon, running_daemon
from tests.mqtt.broker import MosquittoBroker
from tests.uplink.conftest import uplink_site

#: added to the uplink site: an [uplink.https] table (or none), the broker, a gate and an SOS button
EXTRA = """{https}
[uplink.mqtt]
host = "127.0.0.1"
port = {port}
prefix = "ce"
[[devices]]
kind = "sim.gate"
id = "gate-1"
walk_through = false
[[devices]]
kind = "sim.sos"
id = "sos-1"
"""


def site(tmp_path: Path, port: int, *, https: str = "", backoff: tuple[float, float] = (0.05, 0.3)) -> EdgeConfig:
    return uplink_site("box-m", tmp_path / "var", EXTRA.format(https=https, port=port), backoff=backoff)


async def watch(port: int, seen: list[tuple[str, dict]], ready: asyncio.Event) -> None:
    """The district's subscriber: a persistent session, reconnecting when the broker restarts."""
    while True:
        try:
            async with aiomqtt.Client("127.0.0.1", port, identifier="district-watcher", clean_session=False) as client:
                await client.subscribe("ce/box-m/events/#", qos=1)
                ready.set()
                async for message in client.messages:
                    seen.append((str(message.topic), json.loads(message.payload)))
        except aiomqtt.MqttError:
            await asyncio.sleep(0.1)


@asynccontextmanager
async def watched_daemon(config: EdgeConfig, port: int) -> AsyncIterator[tuple[RunningDaemon, list[tuple[str, dict]]]]:
    """The daemon running on ``config``, and what a district subscriber (subscribed first) sees of it."""
    seen: list[tuple[str, dict]] = []
    ready = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        watcher = group.create_task(watch(port, seen, ready))
        await ready.wait()
        try:
            async with running_daemon(config) as running:
                yield running, seen
        finally:
            watcher.cancel()


async def test_events_go_out_commands_come_in_and_a_broker_restart_is_survived(tmp_path: Path) -> None:
    async with (
        MosquittoBroker(tmp_path / "broker") as broker,
        watched_daemon(site(tmp_path, broker.port), broker.port) as (running, seen),
    ):
        await wait_until(lambda: any(t == "ce/box-m/events/daemon.started" for t, _ in seen), 10)
        async with aiomqtt.Client("127.0.0.1", broker.port, identifier="district-commander") as district:
            await district.publish("ce/box-m/commands", json.dumps(
                {"type": "gate.open", "device_id": "gate-1", "args": {"ms": 300}}), qos=1)
            await district.publish("ce/box-m/commands", b"{not json", qos=1)
        await wait_until(lambda: any(t == "ce/box-m/events/gate.relay" for t, _ in seen), 10)

        await broker.restart()
        await running.daemon.commands.dispatch(CommandRequest("sim.press", "sos-1", caller=Caller.cli()))
        await wait_until(lambda: any(t == "ce/box-m/events/sos.pressed" for t, _ in seen), 15)
    results = [e for t, e in seen if t.endswith("/command.result")]
    assert any(r["data"]["command"] == "gate.open" and r["data"]["source"] == "district" for r in results)
    sos = next(e for t, e in seen if t.endswith("/sos.pressed"))
    assert sos["priority"] == 0 and sos["device_id"] == "sos-1"
    ids = [e["event_id"] for _, e in seen]
    assert len(set(ids)) >= len(ids) - 5  # QoS 1 may repeat a few across the restart; the district dedups


async def test_with_https_too_mqtt_mirrors_and_https_decides_delivery(tmp_path: Path) -> None:
    async with MosquittoBroker(tmp_path / "broker") as broker, DistrictServer(tokens=["box-token"]) as district:
        https = f'[uplink.https]\nbase_url = "{district.base_url}"'
        async with watched_daemon(site(tmp_path, broker.port, https=https), broker.port) as (running, seen):
            await wait_until(lambda: len(district.seqs("box-m")) >= 3, 10)  # started + 2 online
            await wait_until(lambda: len({e["seq"] for _, e in seen}) >= 3, 10)  # the feed catches up too
    assert sorted({e["seq"] for _, e in seen})[:3] == [1, 2, 3], "the feed carries every event, in seq order"
    daemon = running.daemon
    assert [t.name for t in daemon.uplink.transports] == ["https", "mqtt"] and len(daemon.uplink.mirrors) == 1


async def test_when_the_broker_comes_back_the_backlog_goes_at_once_not_after_the_back_off(tmp_path: Path) -> None:
    async with (
        MosquittoBroker(tmp_path / "broker") as broker,
        watched_daemon(site(tmp_path, broker.port, backoff=(60, 300)), broker.port) as (running, seen),
    ):
        daemon = running.daemon
        await wait_until(lambda: any(t.endswith("/daemon.started") for t, _ in seen), 10)
        await broker.stop()
        await daemon.commands.dispatch(CommandRequest("gate.open", "gate-1", {"ms": 200}, caller=Caller.cli()))
        await wait_until(lambda: daemon.uplink.sender.failing is not None, 10)  # now backing off ~minutes
        await broker.start()
        await wait_until(lambda: any(t.endswith("/gate.relay") for t, _ in seen), 10)
    relay = next(e for t, e in seen if t.endswith("/gate.relay"))
    assert relay["device_id"] == "gate-1" and relay["data"]["state"] == "open"
