"""The event catalogue written out for people: docs/events.md and the table of ``edge events types``.

Everything here is derived from :mod:`edge.events.catalogue`, so the document
cannot drift from the code without a test noticing (tests/events/test_catalogue.py).
"""

from __future__ import annotations

import json
from typing import Any

from drivers.base import Priority
from edge.events.catalogue import EventType, catalogue

REGENERATE = ".venv/bin/edge events types --markdown > docs/events.md"

_PRIORITY_MEANING = {
    Priority.LIFE_SAFETY: "someone may be in danger; never dropped for space",
    Priority.SECURITY: "security, access, and gaps in the record; never dropped for space",
    Priority.DEVICE_STATUS: "device and service health; dropped after routine events when the outbox is full",
    Priority.ROUTINE: "the normal course of things; dropped first when the outbox is full",
}


def payload_fields(entry: EventType) -> list[tuple[str, str, bool]]:
    """(key, JSON type in words, always present) for each key of the event's data, in order."""
    schema = entry.payload_schema()
    required = set(schema.get("required", ()))
    return [(name, json_type(prop), name in required) for name, prop in schema.get("properties", {}).items()]


def json_type(schema: dict[str, Any]) -> str:
    """A JSON Schema type in a few words: ``string or null``, ``array of integer``."""
    if "anyOf" in schema:
        return " or ".join(json_type(s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {json_type(schema['items'])}" if "items" in schema else "array"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {json_type(schema['additionalProperties'])}"
    return str(kind) if kind else "any"


def priority_text(entry: EventType) -> str:
    """``3 ROUTINE``, or with its rule: ``3 ROUTINE; 2 DEVICE_STATUS when ...``."""
    usual = f"{int(entry.priority)} {entry.priority.name}"
    return usual if entry.priority_rule is None else f"{usual}; {entry.priority_rule}"


def text_table(entries: tuple[EventType, ...] | None = None) -> str:
    """The plain-text table of ``edge events types``: type, priority, payload keys, meaning."""
    entries = entries if entries is not None else catalogue()
    rows = [("TYPE", "PRIORITY", "PAYLOAD", "MEANING")]
    for entry in entries:
        keys = ", ".join(name if always else f"{name}?" for name, _kind, always in payload_fields(entry))
        priority = f"{int(entry.priority)} {entry.priority.name}" + ("*" if entry.priority_rule else "")
        rows.append((entry.type, priority, keys or "-", entry.meaning))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
             for row in rows]
    lines.append("")
    lines.append("* the priority depends on the event (see --json or docs/events.md); ? a key only some events carry")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def markdown(entries: tuple[EventType, ...] | None = None) -> str:
    """docs/events.md."""
    entries = entries if entries is not None else catalogue()
    parts = [_preamble(), _summary(entries)]
    parts += [_section(entry) for entry in entries]
    return "\n".join(parts).rstrip() + "\n"


def _preamble() -> str:
    priorities = "\n".join(
        f"| {int(p)} | `{p.name}` | {_PRIORITY_MEANING[p]} |" for p in Priority
    )
    return f"""# Event types

> Generated from `edge/events/catalogue.py`; do not edit by hand. Regenerate with
> `{REGENERATE}` (tests/events/test_catalogue.py fails while this file is stale).

Every event the box records, device side (`drivers/events.py`) and daemon side
(`edge/events/types/`). Each is a class with its type, its priority and a typed
payload: the stored event's `data` (`Event.to_wire`) holds exactly the payload
keys below. `edge events types` prints the same list (`--json`: one JSON object
per line, with the payload's JSON Schema).

Priorities (lower is more urgent; the outbox sends the most urgent first, and
each priority's TTL in `[uplink.ttl]` applies):

| priority | name | meaning |
| --- | --- | --- |
{priorities}
"""


def _summary(entries: tuple[EventType, ...]) -> str:
    rows = "\n".join(
        f"| [`{e.type}`](#{_anchor(e.type)}) | {int(e.priority)} {e.priority.name}"
        f"{' (varies)' if e.priority_rule else ''} | {_cell(e.meaning)} |"
        for e in entries
    )
    return f"## All types\n\n| type | priority | meaning |\n| --- | --- | --- |\n{rows}\n"


def _section(entry: EventType) -> str:
    fields = payload_fields(entry)
    if fields:
        rows = "\n".join(
            f"| `{name}` | {kind} | {'always' if always else 'only when not null'} |" for name, kind, always in fields
        )
        payload = f"| key | type | present |\n| --- | --- | --- |\n{rows}\n"
    else:
        payload = "No payload: `data` is `{}`.\n"
    schema = json.dumps(entry.payload_schema(), indent=2, ensure_ascii=False)
    return (
        f"## `{entry.type}`\n\n{entry.description}\n\n"
        f"- class: `{entry.class_path}`\n- priority: {priority_text(entry)}\n\n{payload}\n"
        f"<details><summary>payload JSON Schema</summary>\n\n```json\n{schema}\n```\n\n</details>\n"
    )


def _anchor(type_: str) -> str:
    """The anchor GitHub gives a heading ``type_`` (punctuation but - and _ dropped)."""
    return "".join(c for c in type_.lower() if c.isalnum() or c in "-_")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
