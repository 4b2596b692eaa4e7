"""The stored event: what a driver reported plus identity, order and time.

``seq`` is assigned by the store's writer inside the committing transaction,
so it is strictly increasing and gap-free per box. ``to_wire`` gives the JSON
shape the district's sync API expects.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision and a 'Z' suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class MediaRef:
    sha256: str
    kind: str
    content_type: str
    bytes: int

    def to_wire(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "kind": self.kind, "content_type": self.content_type, "bytes": self.bytes}


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event not yet stored: everything but its ``seq``."""

    type: str
    priority: int
    occurred_at: datetime
    clock_synced: bool
    device_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def data_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"), default=str)

    def media_json(self) -> str:
        return json.dumps([m.to_wire() for m in self.media], separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    event_id: str
    type: str
    priority: int
    occurred_at: datetime
    clock_synced: bool
    device_id: str | None
    data: dict[str, Any]
    media: tuple[MediaRef, ...] = ()

    @classmethod
    def committed(cls, draft: EventDraft, seq: int) -> Event:
        return cls(
            seq, draft.event_id, draft.type, draft.priority, draft.occurred_at,
            draft.clock_synced, draft.device_id, draft.data, draft.media,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(
            seq=row["seq"],
            event_id=row["event_id"],
            type=row["type"],
            priority=row["priority"],
            occurred_at=parse_rfc3339(row["occurred_at"]),
            clock_synced=bool(row["clock_synced"]),
            device_id=row["device_id"],
            data=json.loads(row["data"]),
            media=tuple(MediaRef(**m) for m in json.loads(row["media"])),
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "seq": self.seq,
            "type": self.type,
            "priority": self.priority,
            "occurred_at": utc_rfc3339(self.occurred_at),
            "clock_synced": self.clock_synced,
            "device_id": self.device_id,
            "data": self.data,
            "media": [m.to_wire() for m in self.media],
        }
