"""The district's check of an uplinked EVENT against the sync contract."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

EVENT_FIELDS = ("event_id", "seq", "type", "priority", "occurred_at", "clock_synced", "device_id", "data", "media")
MEDIA_FIELDS = ("sha256", "kind", "content_type", "bytes")
MEDIA_KINDS = frozenset({"snapshot", "clip", "audio"})
_RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def event_problem(event: Any) -> str | None:
    """Why ``event`` breaks the contract's EVENT shape, or None."""
    if not isinstance(event, dict):
        return "event is not an object"
    missing = [name for name in EVENT_FIELDS if name not in event]
    unknown = sorted(set(event) - set(EVENT_FIELDS))
    if missing or unknown:
        return f"missing fields {missing}" if missing else f"unknown fields {unknown}"
    checks = (
        ("event_id", isinstance(event["event_id"], str) and event["event_id"] != ""),
        ("seq", _is_int(event["seq"]) and event["seq"] >= 1),
        ("type", isinstance(event["type"], str) and event["type"] != ""),
        ("priority", _is_int(event["priority"]) and 0 <= event["priority"] <= 3),
        ("occurred_at", _is_rfc3339_utc(event["occurred_at"])),
        ("clock_synced", isinstance(event["clock_synced"], bool)),
        ("device_id", event["device_id"] is None or isinstance(event["device_id"], str)),
        ("data", isinstance(event["data"], dict)),
        ("media", isinstance(event["media"], list) and all(_is_media(m) for m in event["media"])),
    )
    bad = [name for name, ok in checks if not ok]
    return f"bad {', '.join(bad)}" if bad else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_rfc3339_utc(value: Any) -> bool:
    if not isinstance(value, str) or not _RFC3339_UTC.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_media(ref: Any) -> bool:
    return (
        isinstance(ref, dict) and set(ref) == set(MEDIA_FIELDS)
        and isinstance(ref["sha256"], str) and bool(_SHA256.match(ref["sha256"]))
        and ref["kind"] in MEDIA_KINDS
        and isinstance(ref["content_type"], str) and ref["content_type"] != ""
        and _is_int(ref["bytes"]) and ref["bytes"] >= 0
    )
