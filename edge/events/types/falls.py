"""Events of thrown-object detection on façade cameras (edge/vision/falls/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority, optional_key
from edge.events.model import MediaRef


@dataclass(frozen=True, slots=True, kw_only=True)
class FallDetected(DeviceEvent):
    """Something fell from a building (高空抛物): its track, the floor it came from, with clip and picture.

    The evidence is written and stored by the fall service beside the
    analysis, so ``media`` holds references to stored media; when it could
    not be written the alarm goes without, saying why (``evidence_error``).
    """

    TYPE: ClassVar[str] = "fall.detected"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    media: tuple[MediaRef, ...] = ()
    start_frame: int
    end_frame: int
    release_frame: float
    origin: list[float]  # [x, y] in the calibration's pixels
    floor: int
    floor_alt: int | None
    confidence: float
    track: list[list[float]]  # [frame, x, y] per point
    camera: str
    building: str | None
    evidence_error: str | None = optional_key()


@dataclass(frozen=True, slots=True, kw_only=True)
class FallsBlind(DeviceEvent):
    """A façade camera skips most frames (snow, a dirty lens, shaking): it cannot see falls now."""

    TYPE: ClassVar[str] = "falls.blind"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    camera: str
    skipped_share: float
    reasons: dict[str, int]  # frames skipped, by reason


@dataclass(frozen=True, slots=True, kw_only=True)
class FallsSighted(DeviceEvent):
    """A façade camera that was blind sees again."""

    TYPE: ClassVar[str] = "falls.sighted"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    camera: str
    skipped_share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FallsCalibrationInvalid(DeviceEvent):
    """A façade camera's calibration cannot be read (error); that camera is not analysed."""

    TYPE: ClassVar[str] = "falls.calibration_invalid"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    camera: str
    error: str
