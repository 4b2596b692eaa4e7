"""The cloud speaker's MQTT messages: topics, command JSON out, ack and status in. Pure, no I/O.

:func:`decode_ack` and :func:`decode_status` raise only :class:`BadMessage`,
whatever the bytes.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

OPS = frozenset({"play_tts", "play_url", "stop", "volume"})
ONLINE, OFFLINE = "online", "offline"


class BadMessage(ValueError):
    """A message from the speaker that does not follow the protocol."""


@dataclass(frozen=True, slots=True)
class CloudTopics:
    prefix: str
    serial: str

    @property
    def cmd(self) -> str:
        return f"{self.prefix}/{self.serial}/cmd"

    @property
    def ack(self) -> str:
        return f"{self.prefix}/{self.serial}/ack"

    @property
    def status(self) -> str:
        return f"{self.prefix}/{self.serial}/status"


@dataclass(frozen=True, slots=True)
class CloudCommand:
    op: str
    args: dict[str, Any] = field(default_factory=dict)  # text, voice, url or level
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown op {self.op!r}")

    def encode(self) -> bytes:
        return json.dumps({"id": self.id, "op": self.op, **self.args}, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Ack:
    id: str
    ok: bool
    error: str = ""
    duration_s: float | None = None


def decode_ack(payload: bytes) -> Ack:
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadMessage(f"ack is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadMessage("ack is not a JSON object")
    ack_id, ok = body.get("id"), body.get("ok")
    if not isinstance(ack_id, str) or not ack_id:
        raise BadMessage("ack has no id")
    if not isinstance(ok, bool):
        raise BadMessage("ack has no boolean 'ok'")
    error = body.get("error") or ""
    if not isinstance(error, str):
        raise BadMessage("ack 'error' is not a string")
    return Ack(ack_id, ok, error, _duration(body.get("duration_s")))


def _duration(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise BadMessage("ack 'duration_s' is not a non-negative number")
    return float(value)


def decode_status(payload: bytes) -> str | None:
    """``online`` or ``offline`` (any case, surrounding blanks ignored); None for an empty payload
    (someone cleared the retained status: the speaker's status is unknown again)."""
    try:
        text = payload.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        raise BadMessage("status is not ASCII") from None
    if text in (ONLINE, OFFLINE):
        return text
    if not text:
        return None
    raise BadMessage(f"unknown status {text[:40]!r}")
