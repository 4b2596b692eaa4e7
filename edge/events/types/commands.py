"""What became of a command, whoever sent it (edge/commands/router.py records it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandOutcome(DeviceEvent):
    """A command ran, or was refused: what was asked (command, args), by whom (source), and the answer."""

    TYPE: ClassVar[str] = "command.result"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    PRIORITIES: ClassVar[tuple[Priority, ...]] = (Priority.DEVICE_STATUS, Priority.ROUTINE)
    PRIORITY_RULE: ClassVar[str] = "2 DEVICE_STATUS when the command failed (ok is false)"
    command: str  # e.g. "gate.open"
    args: dict[str, Any]
    source: str  # who asked: "district", "face", "cli", "local" ...
    ok: bool
    detail: str

    @property
    def priority(self) -> Priority:
        return Priority.ROUTINE if self.ok else Priority.DEVICE_STATUS
