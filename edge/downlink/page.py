"""A downlink page as the district sends it: its envelope, a cursor, whether more follows, and changes.

``{"box_id": str, "since": str|null, "serial": int, "issued_at": RFC 3339,
"cursor": str, "more": bool, "changes": [{"kind", "op", "id", "data"}]}`` is
the shape of both a changes page and a snapshot (a snapshot has ``since``
null and ``more`` false). The envelope binds the signed body to one box, the
cursor it answers, a serial that only grows and the time it was issued, so a
page cannot be replayed to another box, another request or later.
``parse_page`` checks it strictly, after the signature: a page we cannot read
whole is refused whole. ``parse_expired`` reads the signed 410 answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS = frozenset({"resident", "face", "grant", "config", "broadcast"})
OPS = frozenset({"upsert", "delete"})


class PageFormatError(Exception):
    """A signed page that does not have the contract's shape."""


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # resident | face | grant | config | broadcast
    op: str  # upsert | delete
    id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a signed downlink answer is bound to."""

    box_id: str
    since: str | None  # the cursor the request asked with; None for a snapshot
    serial: int  # the district's log position / snapshot serial: only grows
    issued_at: datetime  # timezone-aware


@dataclass(frozen=True, slots=True)
class Page:
    cursor: str
    more: bool
    changes: tuple[Change, ...]
    envelope: Envelope | None = None  # always set by parse_page; None only for pages built in code


def parse_envelope(body: bytes) -> tuple[dict[str, Any], Envelope]:
    """The JSON object and its envelope fields; PageFormatError if either is not there."""
    try:
        page = json.loads(body)
    except ValueError as exc:
        raise PageFormatError(f"page is not JSON: {exc}") from None
    if not isinstance(page, dict):
        raise PageFormatError("page is not a JSON object")
    box_id, since, serial, issued = page.get("box_id"), page.get("since"), page.get("serial"), page.get("issued_at")
    if not isinstance(box_id, str) or not box_id:
        raise PageFormatError("page names no box_id")
    if since is not None and not isinstance(since, str):
        raise PageFormatError("page 'since' is neither a cursor nor null")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise PageFormatError("page has no serial (a non-negative integer)")
    try:
        issued_at = datetime.fromisoformat(issued) if isinstance(issued, str) else None
    except ValueError:
        issued_at = None
    if issued_at is None or issued_at.tzinfo is None:
        raise PageFormatError("page has no issued_at (RFC 3339 with a zone)")
    return page, Envelope(box_id, since, serial, issued_at)


def parse_expired(body: bytes) -> Envelope:
    """The signed 410 answer: ``{"expired": true, ...envelope}``."""
    page, envelope = parse_envelope(body)
    if page.get("expired") is not True:
        raise PageFormatError("a 410 that does not say expired: true")
    return envelope


def parse_page(body: bytes) -> Page:
    page, envelope = parse_envelope(body)
    cursor, more, changes = page.get("cursor"), page.get("more"), page.get("changes")
    if not isinstance(cursor, str) or not cursor:
        raise PageFormatError("page has no cursor")
    if not isinstance(more, bool) or not isinstance(changes, list):
        raise PageFormatError("page needs 'more' (bool) and 'changes' (list)")
    return Page(cursor, more, tuple(_change(i, c) for i, c in enumerate(changes)), envelope)


def _change(index: int, raw: Any) -> Change:
    if not isinstance(raw, dict):
        raise PageFormatError(f"change {index} is not an object")
    kind, op, id_, data = raw.get("kind"), raw.get("op"), raw.get("id"), raw.get("data")
    if data is None and op == "delete":
        data = {}
    if kind not in KINDS or op not in OPS:
        raise PageFormatError(f"change {index}: unknown kind/op {kind!r}/{op!r}")
    if not isinstance(id_, str) or not id_:
        raise PageFormatError(f"change {index}: no id")
    if not isinstance(data, dict):
        raise PageFormatError(f"change {index} ({kind} {id_}): data is not an object")
    return Change(kind, op, id_, data)
