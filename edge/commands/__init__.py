"""Commands: the one model of "someone asks the box or a device to do something", its parser, its router.

Every entry point (the control socket, the sync API and the console mounted on
it, the district's MQTT inbox, face decisions, rules) builds a
:class:`~edge.commands.model.CommandRequest` carrying the :class:`~edge.commands.caller.Caller`
it authenticated — never one named in the body — with
:func:`~edge.commands.parse.parse_command`, and hands it to the
:class:`~edge.commands.router.CommandRouter`, which runs device and box commands
alike and records one ``command.result`` for each.

This package imports nothing from ``edge.daemon``, ``edge.api``, ``edge.uplink``
or ``edge.vision``: they all use it.
"""

from edge.commands.caller import Caller, CallerKind
from edge.commands.model import BoxCommandFailed, BoxCommandRejected, CommandRequest
from edge.commands.parse import MalformedCommand, parse_command
from edge.commands.router import BoxCommand, CommandRouter

__all__ = [
    "BoxCommand",
    "BoxCommandFailed",
    "BoxCommandRejected",
    "Caller",
    "CallerKind",
    "CommandRequest",
    "CommandRouter",
    "MalformedCommand",
    "parse_command",
]
