"""Commands from the district over MQTT: check them and hand them to the daemon, one at a time.

The box subscribes to ``{prefix}/{box_id}/commands`` at QoS 1. Each payload is a
JSON object with a string ``type`` (``{"type": "sync.now"}``, ``{"type":
"gate.open", "device_id": "gate-north", "args": {...}}``; a box command's args may
also sit beside its type, ``{"type": "broadcast", "text": "..."}``), parsed by
:func:`edge.commands.parse_command` into a command whose caller is the district:
whoever can publish on the topic is. A payload naming a ``"source"`` is
dropped as malformed. paho sends the PUBACK
as soon as a message is read off the socket, so "delivered" means "in this
inbox", not "done": the outcome is the daemon's own ``command.result`` event.
QoS 1 is at least once, so a command may come twice.

Commands run in arrival order, one at a time. Payloads that are not such an
object, and retained messages (a retained command would run again after every
reconnect), are dropped and logged once per burst; nothing here raises into
the connection loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiomqtt
import structlog

from edge.commands import Caller, CommandRequest, MalformedCommand, parse_command

log = structlog.get_logger(__name__)

CommandHandler = Callable[[CommandRequest], Awaitable[Any]]
_DISTRICT = Caller.district()


def parse_payload(payload: bytes) -> CommandRequest:
    """The district's command in ``payload``; MalformedCommand if it is none."""
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedCommand(f"not UTF-8 JSON: {exc}") from None
    return parse_command(body, _DISTRICT, flat=True)


class BurstLog:
    """Logs the first of a burst of drops; the rest are counted and reported with the next burst.

    A burst ends after ``quiet_s`` without a drop.
    """

    def __init__(self, event: str, quiet_s: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._event = event
        self._quiet_s = quiet_s
        self._monotonic = monotonic
        self._last: float | None = None
        self._unlogged = 0

    def drop(self, **fields: Any) -> None:
        now = self._monotonic()
        if self._last is None or now - self._last >= self._quiet_s:
            log.warning(self._event, dropped_unlogged_before=self._unlogged, **fields)
            self._unlogged = 0
        else:
            self._unlogged += 1
        self._last = now


class CommandInbox:
    """Takes messages from the connection (never blocking it) and runs the handler on each in turn."""

    def __init__(self, handler: CommandHandler, max_pending: int = 256) -> None:
        self._handler = handler
        self._pending: asyncio.Queue[CommandRequest] = asyncio.Queue(max_pending)
        self._malformed = BurstLog("uplink.mqtt.command_malformed")
        self._retained = BurstLog("uplink.mqtt.command_retained_ignored")
        self._overflow = BurstLog("uplink.mqtt.command_inbox_full")

    def offer(self, message: aiomqtt.Message) -> None:
        if message.retain:
            self._retained.drop(topic=str(message.topic))
            return
        payload = bytes(message.payload)
        try:
            command = parse_payload(payload)
        except MalformedCommand as exc:
            self._malformed.drop(topic=str(message.topic), reason=str(exc), payload=payload[:200].decode(errors="replace"))
            return
        try:
            self._pending.put_nowait(command)
        except asyncio.QueueFull:
            self._overflow.drop(command=command.type)

    async def run(self) -> None:
        """Run commands until cancelled; a failing handler is logged and the next command runs."""
        while True:
            command = await self._pending.get()
            try:
                await self._handler(command)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("uplink.mqtt.command_failed", command=command.type)
