"""Events of the downlink from the district (edge/downlink/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRefused(DeviceEvent):
    """A changes page from the district failed verification and nothing of it was applied (reason)."""

    TYPE: ClassVar[str] = "sync.refused"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    reason: str
    endpoint: str
    since: str | None  # the cursor asked from; None for a snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRollbackRefused(DeviceEvent):
    """A signed downlink answer bound to another box, cursor, older serial or time was refused (replay, rollback)."""

    TYPE: ClassVar[str] = "sync.rollback_refused"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    reason: str
    endpoint: str
    since: str | None  # the cursor asked from; None for a snapshot
