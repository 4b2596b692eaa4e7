"""One MQTT connection to the district's broker (aiomqtt over paho), made and undone cleanly.

aiomqtt gives one connection per ``async with Client(...)`` and nothing more: it
does not reconnect, a caller awaiting a PUBACK is not told the connection died,
and a connect that times out or is cancelled leaves its socket open. This module
wraps one connection so that it leaves nothing behind whichever way it ends;
:mod:`edge.uplink.mqtt` opens a new one after each loss.

A session connects with clean session off and a last will (``offline``,
retained, QoS 1), publishes ``online`` (retained, QoS 1), subscribes to the
commands topic, and pumps incoming messages to a callback. Leaving gracefully
publishes ``offline`` and sends DISCONNECT (the broker then drops the will);
dropping closes the socket, so the broker publishes the will itself.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiomqtt
import structlog

from drivers.mqtt_client import connect_or_undo, describe, drop
from edge.uplink.transport import TransportError

log = structlog.get_logger(__name__)

ONLINE = b"online"
OFFLINE = b"offline"
_TOPIC_FORBIDDEN = frozenset("+#/\0")


def topic_level_problem(text: str) -> str | None:
    """Why ``text`` cannot be one level of a topic name, or None."""
    if not text:
        return "empty"
    if bad := sorted(_TOPIC_FORBIDDEN.intersection(text)):
        return f"contains {' '.join(repr(c) for c in bad)}"
    return None


@dataclass(frozen=True, slots=True)
class MqttTopics:
    prefix: str
    box_id: str

    @property
    def status(self) -> str:
        return f"{self.prefix}/{self.box_id}/status"

    @property
    def commands(self) -> str:
        return f"{self.prefix}/{self.box_id}/commands"

    def event(self, event_type: str) -> str:
        return f"{self.prefix}/{self.box_id}/events/{event_type}"


@dataclass(frozen=True, slots=True)
class SessionSettings:
    host: str
    port: int
    client_id: str
    username: str | None
    password: str | None
    tls_context: ssl.SSLContext | None
    keepalive_s: int
    connect_timeout_s: float  # CONNACK, and each SUBACK / status PUBACK on the way in
    leave_timeout_s: float  # the offline PUBACK and DISCONNECT on the way out
    max_inflight: int
    commands: bool  # subscribe to the commands topic (else unsubscribe it)


class MqttSession:
    """A live connection: publish with PUBACKs, and know when it is over."""

    def __init__(
        self, client: aiomqtt.Client, status_topic: str, on_message: Callable[[aiomqtt.Message], None]
    ) -> None:
        self._client = client
        self._status_topic = status_topic
        self._on_message = on_message
        self.ended = asyncio.Event()  # no more publishing: lost, or leaving
        self.lost_reason = "connection lost"
        self._pump: asyncio.Task[None] | None = None

    @property
    def lost(self) -> bool:
        return self._pump is not None and self._pump.done()

    def start_pump(self) -> None:
        self._pump = asyncio.create_task(self._read(), name="mqtt:read")
        self._pump.add_done_callback(lambda _: self.ended.set())

    async def publish_all(self, messages: list[tuple[str, bytes]], timeout_s: float) -> None:
        """Publish each at QoS 1 in order; return once every PUBACK is in, else raise TransportError."""
        if self.ended.is_set():
            raise TransportError("the connection to the MQTT broker is gone")
        publishes = [
            asyncio.create_task(self._client.publish(topic, payload, qos=1, timeout=math.inf), name="mqtt:publish")
            for topic, payload in messages
        ]
        acks = asyncio.gather(*publishes, return_exceptions=True)
        ended = asyncio.create_task(self.ended.wait(), name="mqtt:ended")
        try:
            done, _ = await asyncio.wait({acks, ended}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*publishes, ended):
                task.cancel()
            await asyncio.gather(acks, ended, return_exceptions=True)
        if acks in done:
            if failures := [r for r in acks.result() if isinstance(r, BaseException)]:
                raise TransportError(f"publish failed: {describe(failures[0])}")
            return
        if ended in done:
            raise TransportError("the connection to the MQTT broker was lost before every PUBACK came")
        raise TransportError(f"no PUBACK for every event within {timeout_s:g} s")

    async def _read(self) -> None:
        try:
            async for message in self._client.messages:
                try:
                    self._on_message(message)
                except Exception:  # a bad message must not end the connection
                    log.exception("uplink.mqtt.message_not_handled", topic=str(message.topic))
        except aiomqtt.MqttError as exc:  # disconnected (aiomqtt first hands out what it had queued)
            self.lost_reason = f"connection lost ({describe(exc.__cause__ or exc)})"

    async def end(self, graceful: bool, timeout_s: float) -> None:
        """Leave (offline + DISCONNECT) if asked and still connected; in every case close the socket."""
        self.ended.set()
        try:
            if graceful and not self.lost:
                await self._leave(timeout_s)
                if self._pump is not None:  # let it hand on what came before the DISCONNECT
                    await asyncio.wait({self._pump}, timeout=timeout_s)
        finally:
            if self._pump is not None:
                self._pump.cancel()
                await asyncio.gather(self._pump, return_exceptions=True)
            drop(self._client)

    async def _leave(self, timeout_s: float) -> None:
        try:
            await self._client.publish(self._status_topic, OFFLINE, qos=1, retain=True, timeout=timeout_s)
        except aiomqtt.MqttError as exc:
            log.debug("uplink.mqtt.offline_not_acked", error=describe(exc))
        try:
            self._client.timeout = timeout_s
            await self._client.__aexit__(None, None, None)  # DISCONNECT; the broker forgets the will
        except aiomqtt.MqttError as exc:
            log.debug("uplink.mqtt.disconnect_failed", error=describe(exc))


@asynccontextmanager
async def open_session(
    settings: SessionSettings, topics: MqttTopics, on_message: Callable[[aiomqtt.Message], None]
) -> AsyncIterator[MqttSession]:
    """Connect, say online, subscribe, then yield; on exit leave gracefully unless the link was lost.

    Raises aiomqtt.MqttError (or another error) if any step of the way in fails,
    having closed whatever it had opened.
    """
    client = _new_client(settings, topics)
    await _connect(client)
    session = MqttSession(client, topics.status, on_message)
    graceful = False
    try:
        await client.publish(topics.status, ONLINE, qos=1, retain=True, timeout=settings.connect_timeout_s)
        await _subscribe_commands(client, topics, settings)
        session.start_pump()
        yield session
        graceful = True
    except asyncio.CancelledError:
        graceful = True  # shutting down: still say offline if we can
        raise
    finally:
        await session.end(graceful, settings.leave_timeout_s)


def _new_client(settings: SessionSettings, topics: MqttTopics) -> aiomqtt.Client:
    client = aiomqtt.Client(
        settings.host,
        settings.port,
        username=settings.username,
        password=settings.password,
        identifier=settings.client_id,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=False,
        will=aiomqtt.Will(topics.status, OFFLINE, qos=1, retain=True),
        keepalive=settings.keepalive_s,
        timeout=settings.connect_timeout_s,
        max_inflight_messages=settings.max_inflight,
        tls_context=settings.tls_context,
    )
    client.pending_calls_threshold = 100_000  # aiomqtt warns per publish past 10 pending; a batch has 500
    return client


async def _connect(client: aiomqtt.Client) -> None:
    """Connect, or fail having closed the socket."""
    await connect_or_undo(client, "mqtt:connect")


async def _subscribe_commands(client: aiomqtt.Client, topics: MqttTopics, settings: SessionSettings) -> None:
    if not settings.commands:  # the persistent session may still hold an old subscription
        await client.unsubscribe(topics.commands, timeout=settings.connect_timeout_s)
        return
    granted = await client.subscribe(topics.commands, qos=1, timeout=settings.connect_timeout_s)
    if any(int(getattr(code, "value", code)) >= 0x80 for code in granted):
        log.error("uplink.mqtt.commands_refused", topic=topics.commands)
