"""The command model: what is asked (type and args), of which device (none: of the box), by whom.

A *device command* (``gate.open``) names its ``device_id`` and runs on that
device's driver; a *box command* (``broadcast``, ``sync.now``) has no device and
runs on a handler the composition root registered with the router. A box
command's handler raises :class:`BoxCommandRejected` (or ``ValueError``) when its
arguments are wrong — HTTP entry points answer 400 — and
:class:`BoxCommandFailed` when it could not be done (``ok: false``).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from drivers.base import Command
from edge.commands.caller import Caller


@dataclass(frozen=True, slots=True)
class CommandRequest:
    type: str  # e.g. "gate.open", "broadcast"
    device_id: str | None  # None: a box command
    args: dict[str, Any] = field(default_factory=dict)
    _: KW_ONLY
    caller: Caller

    @property
    def is_box_command(self) -> bool:
        return self.device_id is None

    def for_driver(self) -> Command:
        """The command as a driver takes it (``drivers`` know nothing of callers, only the source string)."""
        return Command(self.type, dict(self.args), source=self.caller.source)


class BoxCommandRejected(Exception):
    """Raised by a box command whose args are wrong: HTTP entry points answer 400."""


class BoxCommandFailed(Exception):
    """Raised by a box command that could not be done: the result is ``ok: false`` (HTTP 200)."""
