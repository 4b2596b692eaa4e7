"""The event bus: subscribing by class, by type pattern, by several of those or to everything; undoing it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from drivers.events import DoorForcedOpen, DoorOpened, SosPressed, SosReleased
from edge.events.bus import EventBus
from edge.events.model import Event
from edge.events.types.faces import FaceDecided

TYPES = ["sos.pressed", "sos.released", "door.opened", "door.forced_open", "device.offline", "sosx.other"]
_seq = itertools.count(1)


def event(type_: str) -> Event:
    return Event(next(_seq), "id", type_, 3, datetime.now(UTC), False, None, {})


def heard_by(types: object) -> list[str]:
    bus = EventBus()
    got: list[str] = []
    bus.subscribe(lambda e: got.append(e.type), types=types)  # type: ignore[arg-type]
    for type_ in TYPES:
        bus.publish(event(type_))
    return got


def test_by_class() -> None:
    assert heard_by(SosPressed) == ["sos.pressed"]


def test_by_type_pattern() -> None:
    assert heard_by("sos.*") == ["sos.pressed", "sos.released"]
    assert heard_by("door.*open*") == ["door.opened", "door.forced_open"]
    assert heard_by("*.pressed") == ["sos.pressed"]
    assert heard_by("SOS.*") == []  # patterns are case-sensitive, as types are


def test_a_plain_type_string_matches_only_itself() -> None:
    assert heard_by("sos.pressed") == ["sos.pressed"]
    assert heard_by(["device.offline"]) == ["device.offline"]


def test_by_several_classes_and_patterns() -> None:
    assert heard_by([DoorOpened, "sos.*", DoorForcedOpen]) == ["sos.pressed", "sos.released", "door.opened",
                                                               "door.forced_open"]
    assert heard_by({SosPressed, SosReleased}) == ["sos.pressed", "sos.released"]
    assert heard_by(t for t in ("device.*",)) == ["device.offline"]  # any iterable, even a generator


def test_none_is_every_event() -> None:
    assert heard_by(None) == TYPES


def test_what_is_not_a_type_is_refused() -> None:
    bus = EventBus()
    with pytest.raises(TypeError, match="not in the event catalogue"):
        bus.subscribe(print, types=FaceDecided)  # a base of event classes, never recorded itself
    with pytest.raises(TypeError, match="not an event class or type pattern"):
        bus.subscribe(print, types=[SosPressed, 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not an event class or type pattern"):
        bus.subscribe(print, types=[Event])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="types=None"):
        bus.subscribe(print, types=[])


def test_unsubscribe_and_failing_subscriber() -> None:
    bus = EventBus()
    got: list[str] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    undo = bus.subscribe(lambda e: got.append(e.type))
    undo_pattern = bus.subscribe(lambda e: got.append("pattern:" + e.type), types="x.*")
    bus.publish(event("x.y"))
    undo()
    undo()  # twice is harmless
    bus.publish(event("x.y"))
    undo_pattern()
    bus.publish(event("x.y"))
    assert got == ["x.y", "pattern:x.y", "pattern:x.y"]


def test_the_same_callback_twice_is_two_subscriptions() -> None:
    bus = EventBus()
    got: list[str] = []
    first = bus.subscribe(got.append, types="sos.*")
    bus.subscribe(got.append, types=SosPressed)
    first()
    bus.publish(event("sos.pressed"))
    assert len(got) == 1
