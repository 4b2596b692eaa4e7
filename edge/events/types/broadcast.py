"""Events of the broadcasts to the speakers (edge/broadcast/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastPlayed(DeviceEvent):
    """An announcement went to a speaker: what, how urgent, the result, and how soon after asking it began."""

    TYPE: ClassVar[str] = "broadcast.played"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    PRIORITIES: ClassVar[tuple[Priority, ...]] = (Priority.SECURITY, Priority.ROUTINE)
    PRIORITY_RULE: ClassVar[str] = "1 SECURITY for a life-safety announcement (urgency is life_safety)"
    announcement: str  # the announcement's id
    what: str  # its text, or the clip's path
    urgency: str  # "life_safety" | "live" | "scheduled"
    result: str  # "ok" | "failed: ..." | "interrupted" | "dropped"
    started_after_ms: float
    played_s: float
    source: str  # who asked: "local", "district", "schedule:<notice>", "alarm:<event id>" ...

    @property
    def priority(self) -> Priority:
        return Priority.SECURITY if self.urgency == "life_safety" else Priority.ROUTINE


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastSkipped(DeviceEvent):
    """A scheduled notice was due but not played (reason: quiet hours, or what is wrong with it)."""

    TYPE: ClassVar[str] = "broadcast.skipped"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    notice: str  # the notice's id
    reason: str
