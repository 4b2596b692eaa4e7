"""A downlink page as the district sends it: a cursor, whether more follows, and changes.

``{"cursor": str, "more": bool, "changes": [{"kind", "op", "id", "data"}]}`` is
the shape of both a changes page and a snapshot. ``parse_page`` checks it
strictly, after the signature: a page we cannot read whole is refused whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
class Page:
    cursor: str
    more: bool
    changes: tuple[Change, ...]


def parse_page(body: bytes) -> Page:
    try:
        page = json.loads(body)
    except ValueError as exc:
        raise PageFormatError(f"page is not JSON: {exc}") from None
    if not isinstance(page, dict):
        raise PageFormatError("page is not a JSON object")
    cursor, more, changes = page.get("cursor"), page.get("more"), page.get("changes")
    if not isinstance(cursor, str) or not cursor:
        raise PageFormatError("page has no cursor")
    if not isinstance(more, bool) or not isinstance(changes, list):
        raise PageFormatError("page needs 'more' (bool) and 'changes' (list)")
    return Page(cursor, more, tuple(_change(i, c) for i, c in enumerate(changes)))


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
