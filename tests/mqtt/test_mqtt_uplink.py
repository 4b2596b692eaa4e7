"""The MQTT transport against a real mosquitto: topics, payloads, status and will, reconnects, commands.

An independent aiomqtt client (``Observer``) plays the district: it sees what
the box publishes and publishes commands to it. ``FlakyLink`` sits between the
box and the broker where a test needs to stall or cut the connection.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from edge.daemon.backoff import Backoff
from edge.events.model import Event, MediaRef
from edge.uplink.config import MqttUplinkConfig
from edge.uplink.mqtt import MqttTransport
from edge.uplink.mqtt_commands import BurstLog, MalformedCommand, parse_command
from edge.uplink.transport import TransportError
from tests.downlink.tls import make_tls_files
from tests.fakes import wait_until
from tests.mqtt.broker import FlakyLink, MosquittoBroker, free_port

PREFIX = "ce"
BOX = "box-7"
EVENTS = f"{PREFIX}/{BOX}/events/#"
STATUS = f"{PREFIX}/{BOX}/status"
COMMANDS = f"{PREFIX}/{BOX}/commands"


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    async with MosquittoBroker(tmp_path / "broker") as broker:
        yield broker


@pytest.fixture
async def link(broker: MosquittoBroker) -> AsyncIterator[FlakyLink]:
    async with FlakyLink(broker.port) as link:
        yield link


def make_event(seq: int, type_: str = "door.opened", **data: Any) -> Event:
    return Event(
        seq=seq,
        event_id=str(uuid.uuid4()),
        type=type_,
        priority=3,
        occurred_at=datetime(2026, 11, 27, 8, 0, seq % 60, 123000, tzinfo=UTC),
        clock_synced=True,
        device_id="door-1",
        data={"who": "Zoë 张伟", **data},
        media=(MediaRef("ab" * 32, "snapshot", "image/jpeg", 1234),) if seq % 2 else (),
    )


def expected_payload(event: Event) -> bytes:
    return json.dumps(event.to_wire(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def transport_for(port: int, on_command=None, **options: Any) -> MqttTransport:  # type: ignore[no-untyped-def]
    config = MqttUplinkConfig(host="127.0.0.1", port=port, prefix=PREFIX, keepalive_s=5)
    options.setdefault("backoff", Backoff(0.05, 0.2))
    options.setdefault("close_timeout_s", 1.0)
    return MqttTransport(BOX, config, on_command, **options)


@asynccontextmanager
async def running(transport: MqttTransport, connect: bool = True) -> AsyncIterator[MqttTransport]:
    task = asyncio.create_task(transport.run(), name="test:mqtt-run")
    try:
        if connect:
            async with asyncio.timeout(3):
                await transport.wait_connected()
        yield transport
    finally:
        await transport.close()
        async with asyncio.timeout(3):
            await task


class Observer:
    """The district's side: an aiomqtt client recording what it receives on its topics."""

    def __init__(self, port: int, *topics: str) -> None:
        self._port = port
        self._topics = topics
        self.messages: list[aiomqtt.Message] = []
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Observer:
        self.client = await self._stack.enter_async_context(aiomqtt.Client("127.0.0.1", self._port))
        for topic in self._topics:
            await self.client.subscribe(topic, qos=1)
        reader = asyncio.create_task(self._read(), name="test:observer")
        self._stack.push_async_callback(_cancel, reader)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    async def _read(self) -> None:
        async for message in self.client.messages:
            self.messages.append(message)

    def payloads(self, topic: str) -> list[bytes]:
        return [m.payload for m in self.messages if m.topic.value == topic]  # type: ignore[misc]

    async def wait_for(self, topic: str, payload: bytes, timeout: float = 3.0) -> None:
        await wait_until(lambda: payload in self.payloads(topic), timeout)

    async def command(self, payload: bytes | str, retain: bool = False) -> None:
        await self.client.publish(COMMANDS, payload, qos=1, retain=retain)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# ---- events ------------------------------------------------------------------


async def test_each_event_goes_to_its_type_topic_as_the_event_json(broker: MosquittoBroker) -> None:
    events = [make_event(1), make_event(2, "gate.opened", gate="north"), make_event(3)]
    async with Observer(broker.port, EVENTS) as observer, running(transport_for(broker.port)) as transport:
        result = await transport.send_events(events)
        assert result.accepted == {e.event_id for e in events}
        assert result.rejected == {}
        await wait_until(lambda: len(observer.messages) == 3)
    got = [(m.topic.value, m.payload, m.qos) for m in observer.messages]
    assert got == [(f"{PREFIX}/{BOX}/events/{e.type}", expected_payload(e), 1) for e in events]
    assert "Zoë 张伟".encode() in observer.messages[0].payload  # UTF-8 as is, not \u escapes
    assert json.loads(observer.messages[1].payload) == events[1].to_wire()


async def test_a_full_batch_is_acked_whole(broker: MosquittoBroker) -> None:
    events = [make_event(seq) for seq in range(1, 501)]
    async with Observer(broker.port, EVENTS) as observer, running(transport_for(broker.port)) as transport:
        started = time.monotonic()
        result = await transport.send_events(events)
        assert time.monotonic() - started < 2
        assert result.accepted == {e.event_id for e in events}
        await wait_until(lambda: len(observer.messages) == 500)
    assert [json.loads(m.payload)["seq"] for m in observer.messages] == list(range(1, 501))


async def test_an_event_type_that_is_no_topic_level_is_rejected_not_retried(broker: MosquittoBroker) -> None:
    good, slash, wildcard = make_event(1), make_event(2, "door/opened"), make_event(3, "door.#")
    async with running(transport_for(broker.port)) as transport:
        result = await transport.send_events([good, slash, wildcard])
    assert result.accepted == {good.event_id}
    assert set(result.rejected) == {slash.event_id, wildcard.event_id}


async def test_sending_while_not_connected_fails_at_once(broker: MosquittoBroker) -> None:
    transport = transport_for(broker.port)
    assert not transport.connected
    with pytest.raises(TransportError):
        await transport.send_events([make_event(1)])
    assert transport.carries_media is False


# ---- status and will ---------------------------------------------------------


async def test_status_is_online_after_connect_and_offline_after_close(broker: MosquittoBroker) -> None:
    async with running(transport_for(broker.port)), Observer(broker.port, STATUS) as observer:
        await observer.wait_for(STATUS, b"online")
        assert observer.messages[0].retain
    async with Observer(broker.port, STATUS) as late:
        await late.wait_for(STATUS, b"offline")
        assert [(m.payload, m.retain) for m in late.messages] == [(b"offline", True)]


async def test_the_will_says_offline_when_the_link_dies_then_online_again(
    broker: MosquittoBroker, link: FlakyLink
) -> None:
    async with Observer(broker.port, STATUS) as observer, running(transport_for(link.port)) as transport:
        await observer.wait_for(STATUS, b"online")
        link.cut()  # no DISCONNECT reaches the broker
        await wait_until(lambda: observer.payloads(STATUS)[1:2] == [b"offline"], 3)
        await wait_until(lambda: observer.payloads(STATUS)[2:3] == [b"online"], 3)
        await wait_until(lambda: transport.connected, 3)  # under load the status may lead the flag
        assert (await transport.send_events([make_event(1)])).accepted


async def test_a_cancelled_run_still_says_offline(broker: MosquittoBroker) -> None:
    transport = transport_for(broker.port)
    async with Observer(broker.port, STATUS) as observer:
        task = asyncio.create_task(transport.run())
        await observer.wait_for(STATUS, b"online")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await observer.wait_for(STATUS, b"offline")


# ---- failures and reconnects -------------------------------------------------


async def test_broker_restart_fails_batches_while_down_then_reconnects(broker: MosquittoBroker) -> None:
    async with running(transport_for(broker.port)) as transport:
        assert (await transport.send_events([make_event(1)])).accepted
        await broker.stop()
        await wait_until(lambda: not transport.connected, 3)
        with pytest.raises(TransportError):
            await transport.send_events([make_event(2)])
        await broker.start()  # same port, same database
        async with asyncio.timeout(3):
            await transport.wait_connected()
        async with Observer(broker.port, EVENTS, STATUS) as observer:
            again = make_event(2)
            assert (await transport.send_events([again])).accepted == {again.event_id}
            await observer.wait_for(f"{PREFIX}/{BOX}/events/door.opened", expected_payload(again))
            assert observer.payloads(STATUS) == [b"online"]


async def test_a_batch_without_pubacks_times_out(broker: MosquittoBroker, link: FlakyLink) -> None:
    async with running(transport_for(link.port, ack_timeout_s=0.3)) as transport:
        link.pause()
        started = time.monotonic()
        with pytest.raises(TransportError, match="PUBACK"):
            await transport.send_events([make_event(1), make_event(2)])
        assert time.monotonic() - started < 1
        link.resume()
        assert len((await transport.send_events([make_event(3)])).accepted) == 1


async def test_a_batch_cut_short_by_a_lost_connection_fails_fast_and_is_resent(
    broker: MosquittoBroker, link: FlakyLink
) -> None:
    events = [make_event(seq) for seq in range(1, 21)]
    async with Observer(broker.port, EVENTS) as observer, running(transport_for(link.port)) as transport:
        link.pause()
        sending = asyncio.create_task(transport.send_events(events))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        link.cut()
        link.resume()
        with pytest.raises(TransportError, match="lost"):
            await sending
        assert time.monotonic() - started < 1
        async with asyncio.timeout(3):
            await transport.wait_connected()
        assert (await transport.send_events(events)).accepted == {e.event_id for e in events}
        await wait_until(lambda: {json.loads(m.payload)["seq"] for m in observer.messages} == set(range(1, 21)))


async def test_an_unreachable_broker_is_retried_and_close_ends_it_promptly() -> None:
    transport = transport_for(free_port())
    with capture_logs() as logs:
        async with running(transport, connect=False):
            await asyncio.sleep(0.5)  # several attempts
            started = time.monotonic()
        assert time.monotonic() - started < 0.5
    outage = [entry for entry in logs if entry["log_level"] in ("warning", "error")]
    assert [entry["event"] for entry in outage] == ["uplink.mqtt.unreachable"]


async def test_a_broker_that_never_answers_connect_leaves_nothing_behind(
    broker: MosquittoBroker, link: FlakyLink
) -> None:
    link.pause()  # TCP connects, CONNACK never comes
    transport = transport_for(link.port, connect_timeout_s=0.3)
    with capture_logs() as logs:
        async with running(transport, connect=False):
            await wait_until(lambda: any(e["event"] == "uplink.mqtt.unreachable" for e in logs), 2)
            link.resume()
            async with asyncio.timeout(3):
                await transport.wait_connected()
            assert link.open_connections == 1  # the timed-out attempts closed their sockets
    await wait_until(lambda: link.open_connections == 0, 2)
    # and a run cancelled in the middle of a connect attempt waits for it, then undoes it
    link.pause()
    task = asyncio.create_task(transport_for(link.port, connect_timeout_s=0.3).run())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    link.resume()  # a leaked socket would now get its CONNACK and stay
    await wait_until(lambda: link.open_connections == 0, 2)


async def test_the_outage_is_logged_once_and_the_recovery_once(broker: MosquittoBroker, link: FlakyLink) -> None:
    with capture_logs() as logs:
        async with running(transport_for(link.port)) as transport:
            for _ in range(2):
                link.cut()
                await wait_until(lambda: not transport.connected, 3)
                async with asyncio.timeout(3):
                    await transport.wait_connected()
    events = [entry["event"] for entry in logs if entry["log_level"] != "debug"]
    assert events == ["uplink.mqtt.connected", *["uplink.mqtt.lost", "uplink.mqtt.recovered"] * 2]


# ---- credentials and TLS -----------------------------------------------------


async def test_user_name_and_password_from_the_secret(tmp_path: Path) -> None:
    async with MosquittoBroker(tmp_path / "broker", users={"box-7": "s3cret é"}) as broker:
        config = MqttUplinkConfig(host="127.0.0.1", port=broker.port, username="box-7", password=SecretStr("s3cret é"))
        async with running(MqttTransport(BOX, config, backoff=Backoff(0.05, 0.2))) as transport:
            assert (await transport.send_events([make_event(1)])).accepted
        wrong = config.model_copy(update={"password": SecretStr("guess")})
        with capture_logs() as logs:
            async with running(MqttTransport(BOX, wrong, backoff=Backoff(0.05, 0.2)), connect=False) as transport:
                await wait_until(lambda: any(e["event"] == "uplink.mqtt.unreachable" for e in logs), 3)
                assert not transport.connected
    assert "authori" in next(e["reason"] for e in logs if e["event"] == "uplink.mqtt.unreachable").lower()


async def test_tls_trusts_the_configured_ca_only(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    async with MosquittoBroker(tmp_path / "broker", tls=(files.server_cert, files.server_key)) as broker:
        config = MqttUplinkConfig(host="127.0.0.1", port=broker.port, tls=True, ca_file=files.ca)
        async with running(MqttTransport(BOX, config, backoff=Backoff(0.05, 0.2))) as transport:
            assert (await transport.send_events([make_event(1)])).accepted
        system_cas = config.model_copy(update={"ca_file": None})
        with capture_logs() as logs:
            async with running(MqttTransport(BOX, system_cas, backoff=Backoff(0.05, 0.2)), connect=False):
                await wait_until(lambda: any(e["event"] == "uplink.mqtt.unreachable" for e in logs), 3)
    assert "certificate" in next(e["reason"] for e in logs if e["event"] == "uplink.mqtt.unreachable")


# ---- commands ----------------------------------------------------------------


async def test_commands_reach_the_callback_and_bad_ones_are_dropped(broker: MosquittoBroker) -> None:
    received: list[dict[str, Any]] = []

    async def on_command(command: dict[str, Any]) -> None:
        if command["type"] == "explode":
            raise RuntimeError("handler bug")
        received.append(command)

    async with Observer(broker.port) as district:
        await district.command(b'{"type": "gate.open", "device_id": "stale"}', retain=True)
        with capture_logs() as logs:
            async with running(transport_for(broker.port, on_command)):
                await district.command(json.dumps({"type": "sync.now"}))
                for bad in (b"not json", b"[1, 2]", b"\xff\xfe", b'{"no": "type"}'):
                    await district.command(bad)
                await district.command(b'{"type": "explode"}')
                gate = {"type": "gate.open", "device_id": "gate-north", "args": {"seconds": 5}}
                await district.command(json.dumps(gate))
                await wait_until(lambda: len(received) == 2, 3)
        await district.client.publish(COMMANDS, b"", qos=1, retain=True)  # clear the retained one
    assert received == [{"type": "sync.now"}, gate]
    warned = [entry["event"] for entry in logs if entry["log_level"] == "warning"]
    assert warned == ["uplink.mqtt.command_retained_ignored", "uplink.mqtt.command_malformed"]
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == ["uplink.mqtt.command_failed"]


async def test_commands_sent_while_the_box_was_away_arrive_after_it_reconnects(broker: MosquittoBroker) -> None:
    received: list[dict[str, Any]] = []

    async def on_command(command: dict[str, Any]) -> None:
        received.append(command)

    async with running(transport_for(broker.port, on_command)):
        pass  # first visit: the broker now holds a session subscribed to the commands
    async with Observer(broker.port) as district:
        await district.command(b'{"type": "sync.now", "n": 1}')
    await broker.restart()  # the queued command survives in the broker's database
    async with Observer(broker.port) as district:
        await district.command(b'{"type": "sync.now", "n": 2}')
    async with running(transport_for(broker.port, on_command)):
        await wait_until(lambda: len(received) == 2, 3)
    assert [c["n"] for c in received] == [1, 2]


async def test_without_a_command_handler_the_box_stops_listening(broker: MosquittoBroker) -> None:
    async with running(transport_for(broker.port, on_command=_never)):
        pass
    async with running(transport_for(broker.port)):
        pass  # unsubscribes: nothing is queued for the box any more
    async with Observer(broker.port) as district:
        await district.command(b'{"type": "sync.now"}')
    received: list[dict[str, Any]] = []

    async def on_command(command: dict[str, Any]) -> None:
        received.append(command)

    transport = transport_for(broker.port, on_command)
    async with running(transport):
        await asyncio.sleep(0.2)
    assert received == []


async def _never(command: dict[str, Any]) -> None:
    raise AssertionError("no command expected")


# ---- pieces ------------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"", b"nope", b"\xff", b"[]", b'{"type": 3}', b'{"type": ""}',
                                     b'{"type": "x", "args": []}', b'{"type": "x", "device_id": 1}'])
def test_malformed_commands_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedCommand):
        parse_command(payload)


def test_a_command_is_a_json_object_with_a_type() -> None:
    assert parse_command(b'{"type":"gate.open","device_id":"g","args":{"s":1}}') == {
        "type": "gate.open", "device_id": "g", "args": {"s": 1},
    }


def test_burst_log_logs_the_first_drop_of_each_burst() -> None:
    now = [0.0]
    burst = BurstLog("dropped", quiet_s=10, monotonic=lambda: now[0])
    with capture_logs() as logs:
        for moment in (0, 1, 2, 11.5, 30):
            now[0] = moment
            burst.drop(n=moment)
    # 0 starts a burst, 1 and 2 join it, 11.5 is 9.5 s after 2 (same burst), 30 starts another
    assert [(entry["n"], entry["dropped_unlogged_before"]) for entry in logs] == [(0, 0), (30, 3)]
