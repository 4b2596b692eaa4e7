"""Retrying calmly: a capped, jittered back-off for reconnecting devices and links.

A leaf module (the standard library only), so drivers and the daemon alike may use it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


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
