"""Debouncing of dry-contact inputs (buttons, door switches) sampled by polling.

Leading-edge with a lock-out: a change is reported the first time a poll sees
it — so an SOS press costs no extra poll intervals — and further changes are
held for ``debounce_s``. When the lock-out ends, the input's current level is
reported if it differs from the last one reported, so a press shorter than
the lock-out is never lost and contact bounce never doubles an event.
"""

from __future__ import annotations


class DebouncedInput:
    def __init__(self, debounce_s: float) -> None:
        self._debounce_s = debounce_s
        self._reported: bool | None = None
        self._latest: bool | None = None
        self._locked_until = 0.0

    @property
    def state(self) -> bool | None:
        """The last level reported (None before the first sample)."""
        return self._reported

    def sample(self, level: bool, now: float) -> bool | None:
        """Feed one sample; return the new level if a change is to be reported now, else None."""
        self._latest = level
        if self._reported is None:  # the first sample sets the baseline, no edge
            self._reported = level
            return None
        if now < self._locked_until or level == self._reported:
            return None
        return self._report(level, now)

    def settle(self, now: float) -> bool | None:
        """Called after the lock-out: report the current level if it changed meanwhile."""
        if self._latest is None or now < self._locked_until or self._latest == self._reported:
            return None
        return self._report(self._latest, now)

    def lockout_ends(self) -> float | None:
        """When :meth:`settle` may have something to report, if a change is pending."""
        if self._latest is not None and self._latest != self._reported:
            return self._locked_until
        return None

    def _report(self, level: bool, now: float) -> bool:
        self._reported = level
        self._locked_until = now + self._debounce_s
        return level
