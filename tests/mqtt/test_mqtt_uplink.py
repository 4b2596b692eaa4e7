"""The MQTT transport against a real mosquitto: topics, payloads, status and will, reconnects, commands.

An independent aiomqtt client (``Observer``) plays the district: it sees what
the box publishes and publishes commands to it. ``FlakyLink`` sits between the
box and the broker where a test needs to stall or cut the connection.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from structlog.testing import capture_logs

from edge.commands import Caller, CommandRequest, MalformedCommand
from edge.uplink.mqtt_commands import BurstLog, parse_payload
from edge.uplink.transport import TransportError
from tests.fakes import wait_until
from tests.mqtt.broker import FlakyLink, MosquittoBroker
from tests.mqtt.support import (
    BOX,
    COMMANDS,
    EVENTS,
    PREFIX,
    STATUS,
    Observer,
    expected_payload,
    make_event,
    running,
    transport_for,
)

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


# ---- commands ----------------------------------------------------------------


async def test_commands_reach_the_callback_and_bad_ones_are_dropped(broker: MosquittoBroker) -> None:
    received: list[CommandRequest] = []

    async def on_command(command: CommandRequest) -> None:
        if command.type == "explode":
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
    by_district = Caller.district()
    assert received == [
        CommandRequest("sync.now", None, {}, caller=by_district),
        CommandRequest("gate.open", "gate-north", {"seconds": 5}, caller=by_district),
    ]
    warned = [entry["event"] for entry in logs if entry["log_level"] == "warning"]
    assert warned == ["uplink.mqtt.command_retained_ignored", "uplink.mqtt.command_malformed"]
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == ["uplink.mqtt.command_failed"]


async def test_commands_sent_while_the_box_was_away_arrive_after_it_reconnects(broker: MosquittoBroker) -> None:
    received: list[CommandRequest] = []

    async def on_command(command: CommandRequest) -> None:
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
    assert [c.args["n"] for c in received] == [1, 2]  # a box command's flat fields are its args


async def test_without_a_command_handler_the_box_stops_listening(broker: MosquittoBroker) -> None:
    async with running(transport_for(broker.port, on_command=_never)):
        pass
    async with running(transport_for(broker.port)):
        pass  # unsubscribes: nothing is queued for the box any more
    async with Observer(broker.port) as district:
        await district.command(b'{"type": "sync.now"}')
    received: list[CommandRequest] = []

    async def on_command(command: CommandRequest) -> None:
        received.append(command)

    transport = transport_for(broker.port, on_command)
    async with running(transport):
        await asyncio.sleep(0.2)
    assert received == []


async def _never(command: CommandRequest) -> None:
    raise AssertionError("no command expected")


# ---- pieces ------------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"", b"nope", b"\xff", b"[]", b'{"type": 3}', b'{"type": ""}',
                                     b'{"type": "x", "args": []}', b'{"type": "x", "device_id": 1}',
                                     b'{"type": "sync.now", "source": "console"}',
                                     b'{"type": "gate.open", "device_id": "g", "source": "district"}'])
def test_malformed_commands_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedCommand):
        parse_payload(payload)


def test_a_command_is_a_json_object_with_a_type_and_its_caller_is_the_district() -> None:
    assert parse_payload(b'{"type":"gate.open","device_id":"g","args":{"s":1}}') == CommandRequest(
        "gate.open", "g", {"s": 1}, caller=Caller.district()
    )
    assert parse_payload(b'{"type":"broadcast","text":"t","args":{"repeat":2}}').args == {"text": "t", "repeat": 2}


def test_burst_log_logs_the_first_drop_of_each_burst() -> None:
    now = [0.0]
    burst = BurstLog("dropped", quiet_s=10, monotonic=lambda: now[0])
    with capture_logs() as logs:
        for moment in (0, 1, 2, 11.5, 30):
            now[0] = moment
            burst.drop(n=moment)
    # 0 starts a burst, 1 and 2 join it, 11.5 is 9.5 s after 2 (same burst), 30 starts another
    assert [(entry["n"], entry["dropped_unlogged_before"]) for entry in logs] == [(0, 0), (30, 3)]
