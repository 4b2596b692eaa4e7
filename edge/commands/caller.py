"""Who asked for a command: the identity an entry point authenticated, attached where the command enters.

The body of a command never names its caller. The control socket's callers are
the box's own user (``cli``); the sync API's box token and the MQTT link are the
district; a console session is the console; a face decision is ``face``; a rule
is ``rule`` with its name. ``Caller.source`` renders the ``source`` string stored
in ``command.result`` (and handed to drivers as ``Command.source``); for the
kinds that existed before callers were typed it is exactly the old string, so
stored data reads the same.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CallerKind(enum.StrEnum):
    CLI = "cli"  # the edge CLI on the box, over the control socket (mode 0600: the daemon's user)
    CONSOLE = "console"  # a logged-in console session (cookie or bearer token)
    DISTRICT = "district"  # the box token on the sync API, or the district's MQTT command topic
    FACE = "face"  # a face recognised at a gate camera
    RULE = "rule"  # a rule of the box, by name
    BENCH = "bench"  # a benchmark driving the daemon in-process


#: kinds whose ``name`` is part of the stored source ("rule:<name>"); for the others it is context only
_NAME_IN_SOURCE = frozenset({CallerKind.RULE})


@dataclass(frozen=True, slots=True)
class Caller:
    """A caller: its kind, and optionally who exactly (the console user, the camera, the rule)."""

    kind: CallerKind
    name: str | None = None

    @classmethod
    def cli(cls) -> Caller:
        return cls(CallerKind.CLI)

    @classmethod
    def console(cls, user: str | None = None) -> Caller:
        return cls(CallerKind.CONSOLE, user)

    @classmethod
    def district(cls) -> Caller:
        return cls(CallerKind.DISTRICT)

    @classmethod
    def face(cls, camera_id: str) -> Caller:
        return cls(CallerKind.FACE, camera_id)

    @classmethod
    def rule(cls, name: str) -> Caller:
        return cls(CallerKind.RULE, name)

    @classmethod
    def bench(cls) -> Caller:
        return cls(CallerKind.BENCH)

    @property
    def source(self) -> str:
        """The stored ``source``: ``"cli"``, ``"console"``, ``"district"``, ``"face"``, ``"rule:<name>"``..."""
        if self.kind in _NAME_IN_SOURCE and self.name:
            return f"{self.kind.value}:{self.name}"
        return self.kind.value

    def __str__(self) -> str:
        return self.source
