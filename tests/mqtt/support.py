"""What the MQTT transport tests share: topics, a broker and a flaky link, events, an observer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiomqtt

from drivers.retry import Backoff
from edge.events.model import Event, MediaRef
from edge.uplink.config import MqttUplinkConfig
from edge.uplink.mqtt import MqttTransport
from tests.fakes import wait_until

PREFIX = "ce"
BOX = "box-7"
EVENTS = f"{PREFIX}/{BOX}/events/#"
STATUS = f"{PREFIX}/{BOX}/status"
COMMANDS = f"{PREFIX}/{BOX}/commands"


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


