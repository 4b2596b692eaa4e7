"""The one parser of command bodies, used by every entry point that takes a command from outside.

A body is a JSON object ``{"type": "gate.open", "device_id": "gate-north",
"args": {...}}``; ``device_id`` is left out for a box command. The caller is
never read from the body: the entry point passes the one it authenticated, and
a body naming a ``"source"`` is refused at every entry point.

Two entry points also take the older *flat* form, where a box command's
arguments sit beside its type (``{"type": "broadcast", "text": "..."}``, as
the district sends them over MQTT): with ``flat=True`` the other fields of a
box command become its args (over those in ``"args"``) and those of a device
command are ignored, as they always were. Without it (the sync API) any field
but the three is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.commands.caller import Caller
from edge.commands.model import CommandRequest

FIELDS = ("type", "device_id", "args")


class MalformedCommand(ValueError):
    """The body is not a command; the message says why, for the sender."""


def parse_command(body: object, caller: Caller, *, flat: bool = False) -> CommandRequest:
    """A well-formed command from ``body``, asked by ``caller``; MalformedCommand if it is none."""
    if not isinstance(body, Mapping):
        raise MalformedCommand("the body must be a JSON object")
    if "source" in body:
        raise MalformedCommand(
            "unknown field 'source': a command's source is who sent it, known from its credential, "
            "never from the body"
        )
    extra = sorted(set(body) - set(FIELDS))
    if extra and not flat:
        raise MalformedCommand(f"unknown field {extra[0]!r} (known: {', '.join(FIELDS)})")
    kind, device_id, args = body.get("type"), body.get("device_id"), body.get("args", {})
    if not isinstance(kind, str) or not kind:
        raise MalformedCommand('"type" must be a non-empty string')
    if device_id is not None and (not isinstance(device_id, str) or not device_id):
        raise MalformedCommand('"device_id" must be a non-empty string')
    if not isinstance(args, dict):
        raise MalformedCommand('"args" must be a JSON object')
    if flat and device_id is None:
        args = {**args, **{name: body[name] for name in extra}}
    return CommandRequest(kind, device_id, dict(args), caller=caller)
