"""What is announced, how urgently, and what happens to it when something more urgent cuts in."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from pathlib import Path


class Urgency(enum.IntEnum):
    """Lower interrupts higher."""

    LIFE_SAFETY = 0  # SOS, fire, thrown object
    LIVE = 1  # an operator's announcement now
    SCHEDULED = 2  # notices, recurring or one-off


@dataclass(frozen=True, slots=True)
class Announcement:
    text: str | None = None
    clip: Path | None = None  # a WAV to play instead of speaking ``text``
    urgency: Urgency = Urgency.LIVE
    targets: tuple[str, ...] = ()  # speaker ids or group names; () = every speaker
    repeat: int = 1
    voice: str = "cmn"
    resume_if_interrupted: bool = True
    source: str = "local"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        if (self.text is None) == (self.clip is None):
            raise ValueError("an announcement has either text or a clip")
        if not 1 <= self.repeat <= 10:
            raise ValueError("repeat must be 1 to 10")

    @property
    def what(self) -> str:
        return self.text if self.text is not None else str(self.clip)
