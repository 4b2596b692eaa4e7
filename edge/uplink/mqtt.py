"""The MQTT transport to the district: events out at QoS 1, commands in, online/offline status.

Only MQTT 3.1.1 features are used, so mosquitto, EMQX, VerneMQ or NATS all
serve. The box keeps a persistent session (clean session off, client id =
``config.client_id`` or the box id) and:

- publishes each event to ``{prefix}/{box_id}/events/{type}`` at QoS 1, the
  payload being the EVENT JSON (``Event.to_wire()``, UTF-8); an event is
  delivered when its PUBACK comes. paho keeps in-flight messages in memory
  only: the outbox is the durable queue, and a batch cut short is sent again
  whole (the district deduplicates on ``event_id``);
- keeps ``{prefix}/{box_id}/status`` retained: ``online`` after each connect,
  ``offline`` on a clean close, and ``offline`` as the last will otherwise;
- subscribes at QoS 1 to ``{prefix}/{box_id}/commands`` and hands each
  command to ``on_command`` (see :mod:`edge.uplink.mqtt_commands`).

Media do not go over MQTT (``carries_media = False``): they go over HTTPS only.

aiomqtt does not reconnect, so :meth:`MqttTransport.run` does: connect, serve,
and on a loss back off (capped, jittered) and connect again, logging the
outage once and the recovery once.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import structlog

from drivers.retry import Backoff, FailureStreak
from edge.events.model import Event, MediaRef
from edge.uplink.config import MqttUplinkConfig
from edge.uplink.mqtt_commands import CommandHandler, CommandInbox
from edge.uplink.mqtt_session import (
    MqttSession,
    MqttTopics,
    SessionSettings,
    describe,
    open_session,
    topic_level_problem,
)
from edge.uplink.transport import SendResult, TransportError

log = structlog.get_logger(__name__)


def event_payload(event: Event) -> bytes:
    """The EVENT JSON as published: compact, UTF-8, non-ASCII kept as is."""
    return json.dumps(event.to_wire(), ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class MqttTransport:
    name = "mqtt"
    carries_media = False  # media go over HTTPS only

    def __init__(
        self,
        box_id: str,
        config: MqttUplinkConfig,
        on_command: CommandHandler | None = None,
        *,
        backoff: Backoff | None = None,
        ack_timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        close_timeout_s: float = 5.0,
        max_inflight: int = 100,
    ) -> None:
        if problem := topic_level_problem(box_id):
            raise ValueError(f"box id {box_id!r} cannot be an MQTT topic level: {problem}")
        self.box_id = box_id
        self.topics = MqttTopics(config.prefix, box_id)
        self._settings = SessionSettings(
            host=config.host,
            port=config.port,
            client_id=config.client_id or box_id,
            username=config.username,
            password=config.password.get_secret_value() if config.password is not None else None,
            tls_context=_tls_context(config.ca_file) if config.tls else None,
            keepalive_s=config.keepalive_s,
            connect_timeout_s=connect_timeout_s,
            leave_timeout_s=close_timeout_s,
            max_inflight=max_inflight,
            commands=on_command is not None,
        )
        self._inbox = CommandInbox(on_command) if on_command is not None else None
        self._outage = FailureStreak(  # failing: between a lost (or never made) connection and the next
            log, still_failing="uplink.mqtt.still_down", recovered="uplink.mqtt.recovered", down_field="down_s",
            backoff=backoff or Backoff(1.0, 300.0),
        )
        self._ack_timeout_s = ack_timeout_s
        self._close_timeout_s = close_timeout_s
        self._session: MqttSession | None = None
        self._connected = asyncio.Event()
        self._stop = asyncio.Event()
        self._running = False
        self._stopped = asyncio.Event()
        self._ever_connected = False
        self.connections = 0  # sessions opened so far: a blip shorter than anyone's poll still counts

    @property
    def connected(self) -> bool:
        return self._session is not None

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def run(self) -> None:
        """Stay connected until :meth:`close` (returns) or cancellation (says offline, then re-raises)."""
        if self._running:
            raise RuntimeError("MqttTransport.run() is already running")
        self._running = True
        self._stopped.clear()
        commands = asyncio.create_task(self._inbox.run(), name="mqtt:commands") if self._inbox else None
        try:
            while not self._stop.is_set():
                try:
                    reason = await self._serve_once()
                except Exception as exc:  # the uplink failing must not stop the daemon
                    _raise_if_cancelling()
                    reason = describe(exc)
                if self._stop.is_set():
                    break
                await self._pause(self._note_down(reason))
        finally:
            if commands is not None:
                commands.cancel()
                await asyncio.gather(commands, return_exceptions=True)
            self._running = False
            self._stopped.set()

    async def send_events(self, events: list[Event]) -> SendResult:
        """Publish the batch at QoS 1; accepted once every PUBACK is in, else TransportError."""
        session = self._session
        if session is None:
            raise TransportError("not connected to the MQTT broker")
        rejected: dict[str, str] = {}
        messages: list[tuple[str, bytes]] = []
        accepted: list[str] = []
        for event in events:
            if problem := topic_level_problem(event.type):
                rejected[event.event_id] = f"event type {event.type!r} cannot be an MQTT topic level: {problem}"
                continue
            messages.append((self.topics.event(event.type), event_payload(event)))
            accepted.append(event.event_id)
        if messages:
            await session.publish_all(messages, self._ack_timeout_s)
        return SendResult(accepted=frozenset(accepted), rejected=rejected)

    async def send_media(self, ref: MediaRef, path: Path) -> None:
        """Never called: ``carries_media`` is False, media go over HTTPS."""
        raise RuntimeError("the MQTT transport carries no media (carries_media is False): send them over HTTPS")

    async def close(self) -> None:
        """Say offline (retained), disconnect, and let :meth:`run` return. Final."""
        self._stop.set()
        if not self._running:
            return
        try:
            async with asyncio.timeout(self._close_timeout_s * 2 + self._settings.connect_timeout_s):
                await self._stopped.wait()
        except TimeoutError:
            log.warning("uplink.mqtt.close_timed_out", host=self._settings.host)

    async def _serve_once(self) -> str:
        """One connection, from connect to loss (returns why) or to :meth:`close`."""
        on_message = self._inbox.offer if self._inbox else _ignore
        async with open_session(self._settings, self.topics, on_message) as session:
            self._session = session
            self._connected.set()
            self._note_up()
            try:
                await _first_of(session.ended, self._stop)
            finally:
                self._session = None
                self._connected.clear()
        return session.lost_reason

    async def _pause(self, delay_s: float) -> None:
        try:
            async with asyncio.timeout(delay_s):
                await self._stop.wait()
        except TimeoutError:
            pass

    def _note_up(self) -> None:
        self.connections += 1
        where = {"host": self._settings.host, "port": self._settings.port, "client_id": self._settings.client_id}
        if self._outage.failing and self._ever_connected:
            self._outage.recovered(**where)
        else:  # the first connection, even after an unreachable start, is no recovery
            self._outage.clear()
            log.info("uplink.mqtt.connected", **where)
        self._ever_connected = True

    def _note_down(self, reason: str) -> float:
        """Log the outage once (its start), and the wait before the next attempt."""
        event = "uplink.mqtt.lost" if self._ever_connected else "uplink.mqtt.unreachable"
        return self._outage.failed(reason, event=event, host=self._settings.host, port=self._settings.port).delay


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)


def _ignore(message: object) -> None:
    pass


async def _first_of(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(event.wait(), name="mqtt:wait") for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


def _raise_if_cancelling() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
