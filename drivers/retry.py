"""Retrying calmly: a capped, jittered back-off and a failure streak that logs once.

A leaf module (the standard library and structlog only), so drivers and the
daemon alike may use it: the device supervisor, the uplink sender, mirror and
MQTT transport, the downlink poller, the Modbus bus's modules.

:class:`Backoff` draws the waits between attempts. :class:`FailureStreak`
follows one thing that works or fails (a device, a link, a module on a bus)
and keeps its log calm: the failure that starts a streak is logged once at
error, the others at debug at most, the recovery once at info, and the
back-off starts again from the beginning after a recovery. What each site
calls its log lines, and the fields they carry, stay the site's own: the
streak is given them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from structlog.typing import FilteringBoundLogger


@dataclass(slots=True)
class Backoff:
    """``full_jitter``: anywhere from 0 to the ceiling (many boxes retrying a district that
    comes back spread out best); otherwise 0.5-1.0 of it (a device: never retry at once)."""

    initial_s: float
    max_s: float
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0
    full_jitter: bool = False

    def next_delay(self) -> float:
        """The next wait: doubling from ``initial_s`` up to ``max_s``, scaled by the jitter."""
        ceiling = min(self.max_s, self.initial_s * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return ceiling * self.rng.uniform(0.0 if self.full_jitter else 0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True, slots=True)
class Setback:
    """What one failure means for the caller."""

    started: bool  # this failure began the streak (it was logged at error)
    delay: float  # how long to wait before the next attempt (0.0 for a streak without a back-off)


class FailureStreak:
    """The failing/ok state of one thing, its log lines, and its back-off.

    Each failure gets at most one log line: the one that starts the streak at
    error under ``failing`` (or the call's ``event``); any other, or every one
    when ``failing`` is None, at debug under ``still_failing``. The end of a
    streak is logged once at info under ``recovered``, with ``down_field`` (the
    seconds it lasted) and ``count_field`` (the failures in it) when named.
    The failure's reason goes under ``reason_field``; ``fields`` given to a call
    go on its line beside the logger's bound ones. Any event left None is not logged.

    ``threshold``: how many failures in a row make it failing (a module on a
    bus may miss one poll). ``clock``: monotonic seconds, for ``since`` and the
    outage's length.
    """

    def __init__(
        self,
        log: FilteringBoundLogger,
        *,
        failing: str | None = None,
        still_failing: str | None = None,
        recovered: str | None = None,
        backoff: Backoff | None = None,
        reason_field: str = "reason",
        down_field: str | None = None,
        count_field: str | None = None,
        threshold: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._failing_event, self._still_failing_event, self._recovered_event = failing, still_failing, recovered
        self.backoff = backoff
        self._reason_field, self._down_field, self._count_field = reason_field, down_field, count_field
        self._threshold = max(1, threshold)
        self._clock = clock
        self.failures = 0  # in a row, since the last success
        self.reason: str | None = None  # why the last failure happened; None after a success
        self.since: float | None = None  # when (on the clock) the streak began; None while not failing

    @property
    def failing(self) -> bool:
        return self.failures >= self._threshold

    def down_s(self) -> float:
        """How long the current streak has lasted (0.0 while not failing)."""
        return 0.0 if self.since is None else self._clock() - self.since

    def failed(self, reason: str, *, event: str | None = None, exc_info: bool = False, **fields: Any) -> Setback:
        """Count a failure, log it, draw the next wait. ``exc_info`` goes on the line that starts a streak."""
        self.failures += 1
        self.reason = reason
        started = self.failures == self._threshold
        if started:
            self.since = self._clock()
        fields[self._reason_field] = reason
        if started and (loud := event or self._failing_event):
            if exc_info:
                fields["exc_info"] = True
            self._log.error(loud, **fields)
        elif self._still_failing_event:
            self._log.debug(self._still_failing_event, **fields)
        return Setback(started, self.backoff.next_delay() if self.backoff is not None else 0.0)

    def recovered(self, **fields: Any) -> bool:
        """A success: log the recovery if it was failing, start afresh (back-off too); True if it was failing."""
        was_failing = self.failing
        if was_failing and self._recovered_event:
            if self._down_field:
                fields[self._down_field] = round(self.down_s(), 1)
            if self._count_field:
                fields[self._count_field] = self.failures
            self._log.info(self._recovered_event, **fields)
        self.clear()
        return was_failing

    def clear(self) -> None:
        """Start afresh without a log line (e.g. a first connection, which is no recovery); resets the back-off."""
        self.failures, self.reason, self.since = 0, None, None
        if self.backoff is not None:
            self.backoff.reset()

    def fail_quietly(self, reason: str) -> None:
        """Count as failing from now without a log line or a drawn wait: the caller reported the cause elsewhere."""
        if not self.failing:
            self.failures, self.since = self._threshold, self._clock()
        self.reason = reason
