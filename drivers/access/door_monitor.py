"""Decides, per gate, whether a door was forced open or held open.

Fed with what the hardware reports — the lock relay opening or locking, the
door-position switch, the exit button — it answers with the events to emit:

* **forced open**: the door opened while the lock was locked, with no grant
  (relay open now, or within ``grant_grace_s`` of locking) and no exit-button
  press within ``exit_grace_s`` before. Priority 1.
* **held open**: the door stayed open longer than ``held_open_after_s``;
  reported once per opening. Priority 1.

It owns no timers: the driver asks :meth:`next_deadline` and calls
:meth:`tick` when it has passed.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.base import Clock, DeviceEvent
from drivers.events import DoorClosed, DoorForcedOpen, DoorHeldOpen, DoorOpened, ExitButtonPressed


@dataclass(frozen=True, slots=True)
class DoorPolicy:
    held_open_after_s: float = 30.0
    grant_grace_s: float = 1.0
    exit_grace_s: float = 5.0


class DoorMonitor:
    def __init__(self, policy: DoorPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._relay_open = False
        self._relay_locked_at: float | None = None
        self._exit_pressed_at: float | None = None
        self._door_opened_at: float | None = None
        self._held_reported = False

    @property
    def door_open(self) -> bool:
        return self._door_opened_at is not None

    def relay_changed(self, is_open: bool) -> None:
        if self._relay_open and not is_open:
            self._relay_locked_at = self._clock.monotonic()
        self._relay_open = is_open

    def exit_pressed(self) -> list[DeviceEvent]:
        self._exit_pressed_at = self._clock.monotonic()
        return [ExitButtonPressed()]

    def door_changed(self, is_open: bool, seen_at_start: bool = False) -> list[DeviceEvent]:
        """The door-position switch changed; ``seen_at_start``: found so when the driver connected,
        so how it came to be open is unknown (no forced-open alarm, but the held-open timer runs)."""
        now = self._clock.monotonic()
        if is_open and self._door_opened_at is None:
            self._door_opened_at, self._held_reported = now, False
            if seen_at_start or self._authorised(now):
                return [DoorOpened()]
            return [DoorOpened(), DoorForcedOpen()]
        if not is_open and self._door_opened_at is not None:
            open_s = round(now - self._door_opened_at, 3)
            self._door_opened_at = None
            return [DoorClosed(open_s=open_s)]
        return []

    def next_deadline(self) -> float | None:
        """Monotonic time at which :meth:`tick` has something to report, if any."""
        if self._door_opened_at is None or self._held_reported:
            return None
        return self._door_opened_at + self._policy.held_open_after_s

    def tick(self) -> list[DeviceEvent]:
        deadline = self.next_deadline()
        now = self._clock.monotonic()
        if deadline is None or now < deadline:
            return []
        self._held_reported = True
        assert self._door_opened_at is not None
        return [DoorHeldOpen(open_s=round(now - self._door_opened_at, 3))]

    def _authorised(self, now: float) -> bool:
        if self._relay_open:
            return True
        if self._relay_locked_at is not None and now - self._relay_locked_at <= self._policy.grant_grace_s:
            return True
        return self._exit_pressed_at is not None and now - self._exit_pressed_at <= self._policy.exit_grace_s
