"""The contract between the daemon and every device driver.

A driver owns one device (or one logical device on a shared bus). The daemon's
supervisor drives its life cycle::

    connect() -> run() ... run() returns or raises -> close() -> back off -> connect()

While ``run`` is going the driver reports what the device does by awaiting
``emit(event)`` with a typed :class:`DeviceEvent`; the call returns once the
event is durably stored, so a driver may acknowledge a device only then.
Commands (open a gate, play a sound) arrive through ``execute``; ``probe``
answers how healthy the device is right now.

Nothing here knows about storage, the network or the daemon.
"""

from __future__ import annotations

import abc
import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import Field as DataField
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Priority(enum.IntEnum):
    """How urgently an event must reach people; lower is more urgent."""

    LIFE_SAFETY = 0
    SECURITY = 1
    DEVICE_STATUS = 2
    ROUTINE = 3


class HealthState(enum.StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


class Clock(Protocol):
    """Time as a driver sees it; tests inject a fake one.

    ``now`` and ``monotonic`` must be safe to call from any thread (capture
    threads stamp frames with them); ``sleep`` is for the event loop only.
    """

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class DriverConfig(BaseModel):
    """Settings every device has; each driver subclasses it with its own.

    Subclasses narrow ``kind`` to a ``Literal`` naming the driver, which is how
    the daemon's config picks the right model for each ``[[devices]]`` table.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        title="Device id",
        description="Stable id used in events and commands (lower case, digits, . _ -).",
    )
    name: str = Field("", title="Display name")
    location: str = Field("", title="Where it is", description="e.g. 'Building 3, unit 2'.")
    enabled: bool = Field(True, title="Enabled")

    def references(self) -> dict[str, str | tuple[str, ...]]:
        """Other devices this one needs, as {device id: required kind, or the kinds that will do}
        (e.g. the bus it is wired to; any gate for a face camera)."""
        return {}

    def check_reference(self, target: DriverConfig) -> list[str]:
        """Problems with how this device uses ``target`` (one of its references); [] when fine."""
        return []


@dataclass(frozen=True, slots=True)
class MediaBlob:
    """A file that goes with an event (snapshot, clip, audio)."""

    kind: str  # "snapshot" | "clip" | "audio"
    content_type: str
    data: bytes | None = None
    path: Path | None = None


_OMIT_IF_NONE = "omit_if_none"


def optional_key() -> Any:
    """A payload field left out of the data while it is None: a key only some events of a type carry."""
    return field(default=None, metadata={_OMIT_IF_NONE: True})


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceEvent:
    """Something a device did. Subclasses set TYPE and PRIORITY and add fields.

    The subclass's own fields become the stored event's ``data``, in the order
    they are declared (a field made with :func:`optional_key` only while it is
    not None). The first line of a subclass's docstring is its meaning in the
    event catalogue.

    A class whose priority depends on its fields overrides :attr:`priority`
    and declares every priority it can take in ``PRIORITIES`` and the rule in
    words in ``PRIORITY_RULE``; ``PRIORITY`` is then its usual one.
    """

    TYPE: ClassVar[str] = "device.event"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    PRIORITIES: ClassVar[tuple[Priority, ...]] = ()
    PRIORITY_RULE: ClassVar[str] = ""
    _META: ClassVar[frozenset[str]] = frozenset({"occurred_at", "media"})

    occurred_at: datetime | None = None  # when the device saw it; None: when emitted
    media: tuple[MediaBlob, ...] = ()

    @property
    def priority(self) -> Priority:
        """How urgent this event is: ``PRIORITY``, unless the class has a rule (``PRIORITY_RULE``)."""
        return self.PRIORITY

    @classmethod
    def priorities(cls) -> tuple[Priority, ...]:
        """Every priority an event of this class can have, most urgent first."""
        return tuple(sorted(cls.PRIORITIES or (cls.PRIORITY,)))

    @classmethod
    def payload_fields(cls) -> tuple[DataField[Any], ...]:
        """The dataclass fields that make up the stored ``data``."""
        return tuple(f for f in fields(cls) if f.name not in cls._META)

    def payload(self) -> dict[str, Any]:
        data = {}
        for f in self.payload_fields():
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_OMIT_IF_NONE):
                continue
            data[f.name] = value
        return data


Emit = Callable[[DeviceEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Command:
    """Something asked of a device, by the console, the district or a rule."""

    type: str  # e.g. "gate.open"
    args: dict[str, Any] = field(default_factory=dict)
    source: str = "local"  # "console" | "district" | "rule:<name>" | "cli"


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Probe:
    """A driver's answer to "how are you?"."""

    state: HealthState
    reason: str = ""


class DriverError(Exception):
    """A device failed in a way the supervisor should retry."""


class Driver(abc.ABC):
    """One device as the daemon sees it.

    Subclasses set ``config_model`` and ``commands`` and implement ``run``.
    ``connect`` must leave nothing behind when it raises; ``close`` must be
    safe to call at any point, including after a failed ``connect``.
    """

    config_model: ClassVar[type[DriverConfig]]
    commands: ClassVar[frozenset[str]] = frozenset()
    #: how urgent it is when this device goes offline (an SOS button that is
    #: unreachable is itself a life-safety condition)
    offline_priority: ClassVar[Priority] = Priority.DEVICE_STATUS
    #: the longest the supervisor waits between reconnection attempts, if this
    #: driver needs it shorter than the daemon's setting (a local serial port)
    retry_max_s: ClassVar[float | None] = None

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        self.config = config
        self._emit = emit
        self.clock: Clock = clock or SystemClock()

    @property
    def device_id(self) -> str:
        return self.config.id

    def attach(self, peers: Mapping[str, Driver]) -> None:  # noqa: B027 - optional hook
        """Called once all drivers exist, with every driver by device id, for those that share
        hardware (a gate on a Modbus bus finds its bus here). Raise ValueError when a peer is wrong."""

    async def connect(self) -> None:  # noqa: B027 - optional hook
        """Open the link to the device; raise DriverError (or OSError) if it is not there."""

    @abc.abstractmethod
    async def run(self) -> None:
        """Read from the device until it fails (raise) or is cancelled."""

    async def execute(self, command: Command) -> CommandResult:
        return CommandResult(False, f"{self.config.kind} does not support {command.type!r}")

    async def probe(self) -> Probe:
        return Probe(HealthState.ONLINE)

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the link; idempotent."""

    async def emit(self, event: DeviceEvent) -> None:
        await self._emit(event)
