"""The MQTT transport when the broker or the link fails, and with credentials and TLS."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from drivers.retry import Backoff
from edge.uplink.config import MqttUplinkConfig
from edge.uplink.mqtt import MqttTransport
from edge.uplink.transport import TransportError
from tests.downlink.tls import make_tls_files
from tests.fakes import wait_until
from tests.mqtt.broker import FlakyLink, MosquittoBroker, free_port
from tests.mqtt.support import (
    BOX,
    EVENTS,
    PREFIX,
    STATUS,
    Observer,
    expected_payload,
    make_event,
    running,
    transport_for,
)

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


