"""The signed downlink envelope of the district test server, and its downlink faults.

Every changes page, snapshot and 410 "cursor expired" answer carries
``box_id`` (the box in the path), ``since`` (the cursor asked with; null for a
snapshot), ``serial`` (the log position when issued: only grows) and
``issued_at`` (RFC 3339 UTC), inside the signed body. ``DownlinkFaults`` lets a
test make the district misbehave the way an on-path attacker would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def envelope(box_id: str, since: str | None, serial: int, issued_at: datetime | None = None) -> dict[str, Any]:
    """The envelope fields of one answer."""
    issued = (issued_at or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"box_id": box_id, "since": since, "serial": serial, "issued_at": issued}


@dataclass(slots=True)
class DownlinkFaults:
    """Switch on to misbehave; each is read on every downlink answer."""

    other_box: str | None = None  # sign pages naming this box instead of the asker
    unsigned_410: bool = False  # answer every /changes with an unsigned 410
    replay: str = ""  # "snapshot" / "changes": serve the first one recorded instead of a fresh one
    wrong_since: bool = False  # name another cursor than the one asked in changes pages
    issued_at: datetime | None = None  # issue time to write (default: now)
