"""One MQTT connection for a cloud speaker driver (aiomqtt over paho), made and undone cleanly.

aiomqtt gives one connection per ``async with Client(...)``: it does not
reconnect, and a connect that fails or is cancelled can leave its socket open.
:class:`MqttLink` wraps one connection so that it leaves nothing behind
whichever way it ends; the driver makes a new one at each ``connect`` (the
daemon's supervisor calls it again, with back-off, after ``run`` raises).

The link subscribes at QoS 1 with a clean session: commands that could not be
delivered are not kept for later, as a stale announcement is worse than none.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiomqtt

from drivers.base import DriverError
from drivers.mqtt_client import connect_or_undo, describe, drop


class LinkLost(DriverError):
    """The connection to the broker is gone (or was never made)."""


@dataclass(frozen=True, slots=True)
class LinkSettings:
    host: str
    port: int
    client_id: str
    username: str | None
    password: str | None = field(repr=False)  # never in a repr or a traceback
    tls_context: ssl.SSLContext | None
    keepalive_s: int
    timeout_s: float  # CONNACK, SUBACK, PUBACK, DISCONNECT


class MqttLink:
    def __init__(self, client: aiomqtt.Client, settings: LinkSettings) -> None:
        self._client = client
        self._settings = settings
        self.lost_reason: str | None = None

    @classmethod
    async def open(cls, settings: LinkSettings, topics: Iterable[str]) -> MqttLink:
        """Connect and subscribe to ``topics``; LinkLost (having closed everything) if any step fails."""
        client = aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password,
            identifier=settings.client_id,
            protocol=aiomqtt.ProtocolVersion.V311,
            clean_session=True,
            keepalive=settings.keepalive_s,
            timeout=settings.timeout_s,
            tls_context=settings.tls_context,
        )
        await _connect(client)
        link = cls(client, settings)
        try:
            for topic in topics:
                granted = await client.subscribe(topic, qos=1)
                if any(int(getattr(code, "value", code)) >= 0x80 for code in granted):
                    raise LinkLost(f"the broker refused the subscription to {topic}")
        except aiomqtt.MqttError as exc:
            drop(client)
            raise LinkLost(f"subscribing failed: {describe(exc)}") from exc
        except BaseException:
            drop(client)
            raise
        return link

    async def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 and wait for the PUBACK; LinkLost if the link fails meanwhile."""
        if self.lost_reason is not None:
            raise LinkLost(self.lost_reason)
        try:
            await self._client.publish(topic, payload, qos=1)
        except aiomqtt.MqttError as exc:
            raise LinkLost(f"publishing failed: {describe(exc.__cause__ or exc)}") from exc

    async def receive(self) -> aiomqtt.Message:
        """The next message from the broker; LinkLost once the connection is gone."""
        if self.lost_reason is not None:
            raise LinkLost(self.lost_reason)
        try:
            return await anext(self._client.messages)
        except aiomqtt.MqttError as exc:
            self.lost_reason = f"connection to the broker lost ({describe(exc.__cause__ or exc)})"
            raise LinkLost(self.lost_reason) from exc

    async def close(self, timeout_s: float) -> None:
        """DISCONNECT if still connected (within ``timeout_s``), then close the socket in any case."""
        was_lost, self.lost_reason = self.lost_reason is not None, self.lost_reason or "closed"
        try:
            if not was_lost:
                self._client.timeout = timeout_s
                await self._client.__aexit__(None, None, None)
        except aiomqtt.MqttError:
            pass  # closing anyway
        finally:
            drop(self._client)


async def _connect(client: aiomqtt.Client) -> None:
    """Connect, or raise LinkLost having closed the socket."""
    try:
        await connect_or_undo(client, "speaker.mqtt:connect")
    except aiomqtt.MqttError as exc:
        raise LinkLost(describe(exc)) from exc
