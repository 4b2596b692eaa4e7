"""Capped exponential back-off with jitter, for reconnecting devices and links."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    initial_s: float
    max_s: float
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        """The next wait: doubling from ``initial_s`` up to ``max_s``, scaled by a random 0.5-1.0."""
        ceiling = min(self.max_s, self.initial_s * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return ceiling * self.rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0
