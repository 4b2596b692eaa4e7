"""What the outbox sender needs of a transport to the district (HTTPS or MQTT)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

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
