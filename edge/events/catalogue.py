"""Every event type the box can record, in one list; ``edge events types`` and docs/events.md come from it.

An event type is a :class:`drivers.base.DeviceEvent` subclass: its ``TYPE``,
its :class:`~drivers.base.Priority` (or, for a few, a documented rule that
picks one from the event's fields), its dataclass fields as the payload (the
stored ``data``), and its docstring's first line as its meaning. The
recorder refuses any class that is not listed here, and a test compares this
list with every ``DeviceEvent`` subclass under ``drivers/`` and ``edge/``.

Adding an event: write the class in ``drivers/events.py`` (a device's) or in
the area's module of :mod:`edge.events.types` (the daemon's), list it below,
and regenerate docs/events.md (``edge events types --markdown``).
"""

from __future__ import annotations

import inspect
import json
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from drivers import events as device
from drivers.base import DeviceEvent, Priority
from edge.events.types import broadcast, commands, daemon, devices, downlink, faces, falls, uplink

EVENT_CLASSES: tuple[type[DeviceEvent], ...] = (
    # what devices report (drivers/events.py)
    device.RelayChanged, device.DoorOpened, device.DoorClosed, device.DoorForcedOpen, device.DoorHeldOpen,
    device.ExitButtonPressed, device.SosPressed, device.SosReleased, device.CameraStreamStats,
    device.SpeakerPlayed,
    # what the daemon reports (edge/events/types/)
    daemon.DaemonStarted, daemon.DaemonStopped,
    devices.DeviceOnline, devices.DeviceDegraded, devices.DeviceOffline,
    commands.CommandOutcome,
    uplink.EventsDropped,
    downlink.SyncRefused,
    downlink.SyncRollbackRefused,
    broadcast.BroadcastPlayed, broadcast.BroadcastSkipped,
    faces.FaceGranted, faces.FaceDenied, faces.FaceStranger, faces.GalleryChanged,
    falls.FallDetected, falls.FallsBlind, falls.FallsSighted, falls.FallsCalibrationInvalid,
)

_BY_TYPE = {cls.TYPE: cls for cls in EVENT_CLASSES}
_KNOWN = frozenset(EVENT_CLASSES)


def is_catalogued(cls: type) -> bool:
    """Whether events of exactly this class may be recorded."""
    return cls in _KNOWN


def event_class(type_: str) -> type[DeviceEvent]:
    """The class of an event type string; KeyError for a type the box does not record."""
    return _BY_TYPE[type_]


@dataclass(frozen=True, slots=True)
class EventType:
    """One entry of the catalogue, as ``edge events types`` shows it."""

    cls: type[DeviceEvent]

    @property
    def type(self) -> str:
        return self.cls.TYPE

    @property
    def priority(self) -> Priority:
        """The usual priority; :attr:`priorities` and :attr:`priority_rule` when it depends on the event."""
        return self.cls.PRIORITY

    @property
    def priorities(self) -> tuple[Priority, ...]:
        return self.cls.priorities()

    @property
    def priority_rule(self) -> str | None:
        """When the priority depends on the event: the rule in words."""
        return self.cls.PRIORITY_RULE or None

    @property
    def meaning(self) -> str:
        """The first line of the class's docstring."""
        return self.description.split("\n", 1)[0]

    @property
    def description(self) -> str:
        """The class's whole docstring, dedented."""
        return _docstring(self.cls)

    @property
    def class_path(self) -> str:
        return f"{self.cls.__module__}.{self.cls.__qualname__}"

    def payload_schema(self) -> dict[str, Any]:
        """The JSON Schema of the stored ``data``."""
        return payload_schema(self.cls)

    def to_json(self) -> dict[str, Any]:
        """One line of ``edge events types --json``."""
        return {
            "type": self.type,
            "class": self.class_path,
            "priority": _priority_json(self.priority),
            "priorities": [_priority_json(p) for p in self.priorities],
            "priority_rule": self.priority_rule,
            "meaning": self.meaning,
            "payload_schema": self.payload_schema(),
        }


def catalogue() -> tuple[EventType, ...]:
    """Every event type, ordered by type string."""
    return tuple(EventType(cls) for cls in sorted(EVENT_CLASSES, key=lambda c: c.TYPE))


@cache
def payload_model(cls: type[DeviceEvent]) -> type[BaseModel]:
    """A pydantic model of ``cls``'s stored ``data``: every payload field is present, except the
    optional keys (:func:`drivers.base.optional_key`), which are there only when not null; no others."""
    hints = typing.get_type_hints(cls)
    definitions: dict[str, Any] = {}
    for f in cls.payload_fields():
        omittable = f.metadata.get("omit_if_none", False)
        definitions[f.name] = (hints[f.name], None if omittable else ...)
    return create_model(cls.__name__, __config__=ConfigDict(extra="forbid"), **definitions)


@cache
def _schema(cls: type[DeviceEvent]) -> str:
    schema = payload_model(cls).model_json_schema()
    schema["title"] = cls.TYPE
    return json.dumps(schema)


def payload_schema(cls: type[DeviceEvent]) -> dict[str, Any]:
    """The JSON Schema of ``cls``'s stored ``data`` (a fresh copy)."""
    return json.loads(_schema(cls))


def _priority_json(priority: Priority) -> dict[str, Any]:
    return {"name": priority.name, "value": int(priority)}


def _docstring(cls: type) -> str:
    doc = cls.__dict__.get("__doc__") or ""
    if doc.startswith(f"{cls.__name__}("):  # the signature dataclass writes when a class has no docstring
        return ""
    return inspect.cleandoc(doc)
