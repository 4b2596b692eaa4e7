"""The uplink as the daemon runs it: transports chosen from config, the outbox and its sender.

HTTPS, when configured, is the transport that decides delivery (its replies
say which events the district holds); MQTT then is a live feed of every event
with its own watermark (:mod:`.mirror`). With MQTT alone, a PUBACK is delivery.
"""

from __future__ import annotations

import asyncio
from typing import Any

from drivers.base import Clock, Priority
from drivers.retry import Backoff
from edge.events.bus import EventBus
from edge.recording import EventRecorder
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.timesync import ClockSync
from edge.uplink.config import UplinkConfig
from edge.uplink.https import HttpsTransport
from edge.uplink.mirror import MirrorFeed
from edge.uplink.mqtt import MqttTransport
from edge.uplink.mqtt_commands import CommandHandler
from edge.uplink.outbox import Outbox
from edge.uplink.sender import OutboxSender
from edge.uplink.transport import SessionTransport, Transport


class Uplink:
    def __init__(
        self,
        box_id: str,
        config: UplinkConfig,
        *,
        writer: StoreWriter,
        media: MediaStore,
        recorder: EventRecorder,
        bus: EventBus,
        clock: Clock,
        sync: ClockSync,
        on_command: CommandHandler | None = None,
    ) -> None:
        token = config.token.get_secret_value()
        self.transports: list[Transport] = []
        if config.https is not None:
            self.transports.append(HttpsTransport(box_id, config.https, token))
        if config.mqtt is not None:
            # reconnecting to a broker is cheap and keeps commands flowing: its own, shorter back-off
            backoff = Backoff(min(1.0, config.backoff_initial_s), min(60.0, config.backoff_max_s), full_jitter=True)
            self.transports.append(MqttTransport(box_id, config.mqtt, on_command, backoff=backoff))
        primary, *others = self.transports
        self.sessions = [t for t in self.transports if isinstance(t, SessionTransport)]
        self.outbox = Outbox(writer, config)
        self.sender = OutboxSender(
            self.outbox, primary, media=media, recorder=recorder, config=config, clock=clock, sync=sync,
        )
        self.mirrors = [
            MirrorFeed(writer, t, Backoff(config.backoff_initial_s, config.backoff_max_s, full_jitter=True))
            for t in others
        ]
        self._unsubscribe = bus.subscribe(self._wake_all)

    def _wake_all(self, event: Any) -> None:
        # while the district is failing, only an alarm cuts the back-off short; the rest waits its turn
        if self.sender.failing is None or event.priority <= Priority.SECURITY:
            self.sender.wake()
        for mirror in self.mirrors:
            mirror.wake()

    async def _wake_on_reconnect(self) -> None:
        """A transport with a connection of its own (MQTT): when it comes back, send at once. It counts
        its sessions, so an outage shorter than this poll (a broker restart) is not missed."""
        seen = {id(t): t.connections for t in self.sessions}
        while True:
            await asyncio.sleep(0.5)
            for transport in self.sessions:
                now = transport.connections
                if now != seen[id(transport)]:
                    self.sender.wake()
                    for mirror in self.mirrors:
                        mirror.wake()
                seen[id(transport)] = now

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self.sender.run(), name="uplink:sender")
            for mirror in self.mirrors:
                group.create_task(mirror.run(), name="uplink:mirror")
            for transport in self.sessions:  # a connection of its own to keep up (MQTT)
                group.create_task(transport.run(), name=f"uplink:{transport.name}")
            if self.sessions:
                group.create_task(self._wake_on_reconnect(), name="uplink:reconnect-wake")

    async def close(self) -> None:
        self._unsubscribe()
        for transport in self.transports:
            await transport.close()

    def status(self) -> dict[str, Any]:
        """Cheap, for every status call: no store query."""
        return {"transports": [t.name for t in self.transports], "failing": self.sender.failing,
                "stats": dict(self.sender.stats)}
