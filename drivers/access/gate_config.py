"""Settings every gate lock has, whatever drives its relay, and the ``gate.open`` argument check."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from drivers.base import DriverConfig


class PulseSettings(DriverConfig):
    pulse_ms: int = Field(
        3000, ge=100, le=600_000, title="Pulse length (ms)",
        description="How long gate.open releases the lock unless the command gives its own ms.",
    )
    max_pulse_ms: int = Field(
        60_000, ge=100, le=600_000, title="Longest pulse (ms)",
        description="The most gate.open may ask for with its ms argument.",
    )

    @model_validator(mode="after")
    def _pulse_within_max(self) -> PulseSettings:
        if self.pulse_ms > self.max_pulse_ms:
            raise ValueError("pulse_ms must not exceed max_pulse_ms")
        return self

    def pulse_ms_from(self, args: dict[str, Any]) -> int | float | str:
        """The pulse ``gate.open`` asks for (its ``ms``, or the default), or why it is refused."""
        ms = args.get("ms", self.pulse_ms)
        if isinstance(ms, bool) or not isinstance(ms, int | float) or not 1 <= ms <= self.max_pulse_ms:
            return f"ms must be a number from 1 to {self.max_pulse_ms}"
        return ms


class GateLockSettings(PulseSettings):
    lock_type: Literal["fail_secure", "fail_safe"] = Field(
        "fail_secure", title="Lock type",
        description="fail_secure (strike): energising the relay opens the lock. fail_safe (maglock): "
        "energising it locks, so the lock opens whenever the relay loses power.",
    )

    def relay_energised(self, lock_open: bool) -> bool:
        """Whether the relay is energised when the lock is open (or locked)."""
        return lock_open == (self.lock_type == "fail_secure")
