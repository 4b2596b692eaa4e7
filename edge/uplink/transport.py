"""What the outbox sender needs of a transport to the district (HTTPS or MQTT), and what more a
transport with a session of its own (MQTT) offers the uplink: :class:`SessionTransport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from edge.events.model import Event, MediaRef


class TransportError(Exception):
    """The batch may or may not have arrived; send it again later (the district deduplicates)."""


class BatchRefused(TransportError):
    """The district refused the batch as a whole (400, 413, 422): smaller batches, then one by one."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class SendResult:
    accepted: frozenset[str] = frozenset()  # event ids the district has (duplicates included)
    rejected: dict[str, str] = field(default_factory=dict)  # event id -> reason: never resend


class Transport(Protocol):
    name: str
    carries_media: bool  # False: media go over another transport (MQTT carries events only)

    async def send_events(self, events: list[Event]) -> SendResult:
        """Deliver one batch; events in neither set of the result are retried."""
        ...

    async def send_media(self, ref: MediaRef, path: Path) -> None:
        """Deliver one media file (idempotent); raise TransportError to retry."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SessionTransport(Transport, Protocol):
    """A transport with a connection of its own to keep up (MQTT; HTTPS opens one per request).

    The uplink runs it beside the sender, and sends at once when a new session
    opens: ``connections`` counts them, so an outage shorter than anyone's
    poll (a broker restart) is still seen.
    """

    connections: int  # sessions opened so far

    async def run(self) -> None:
        """Stay connected (reconnecting with back-off) until closed or cancelled."""
        ...
