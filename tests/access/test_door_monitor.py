"""Forced-open and held-open decisions, on a clock the test moves."""

from __future__ import annotations

from drivers.access.door_monitor import DoorMonitor, DoorPolicy
from tests.fakes import FakeClock


def monitor() -> tuple[DoorMonitor, FakeClock]:
    clock = FakeClock()
    return DoorMonitor(DoorPolicy(held_open_after_s=30, grant_grace_s=1, exit_grace_s=5), clock), clock


def types(events) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.TYPE for e in events]


def test_door_opened_without_grant_is_forced() -> None:
    door, _ = monitor()
    assert types(door.door_changed(True)) == ["door.opened", "door.forced_open"]


def test_door_opened_while_relay_open_or_just_after_is_fine() -> None:
    door, clock = monitor()
    door.relay_changed(True)
    assert types(door.door_changed(True)) == ["door.opened"]
    door.door_changed(False)
    door.relay_changed(False)
    clock.skip(0.8)  # within the 1 s grace after locking
    assert types(door.door_changed(True)) == ["door.opened"]
    door.door_changed(False)
    clock.skip(2)  # well after: forced
    assert types(door.door_changed(True)) == ["door.opened", "door.forced_open"]


def test_exit_button_authorises_for_a_while() -> None:
    door, clock = monitor()
    assert types(door.exit_pressed()) == ["door.exit_pressed"]
    clock.skip(4.9)
    assert types(door.door_changed(True)) == ["door.opened"]
    door.door_changed(False)
    clock.skip(0.2)
    assert "door.forced_open" in types(door.door_changed(True))


def test_held_open_reported_once_per_opening_with_duration() -> None:
    door, clock = monitor()
    door.relay_changed(True)
    door.door_changed(True)
    assert door.next_deadline() == 30
    clock.skip(29.9)
    assert door.tick() == []
    clock.skip(0.6)  # 30.5 s open
    (held,) = door.tick()
    assert held.TYPE == "door.held_open" and held.open_s == 30.5 and held.PRIORITY == 1
    assert door.tick() == [] and door.next_deadline() is None
    clock.skip(9.5)  # 40 s open
    (closed,) = door.door_changed(False)
    assert closed.TYPE == "door.closed" and closed.open_s == 40
    assert door.door_changed(False) == []  # no change, no event
