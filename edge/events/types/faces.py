"""Events of face recognition at the gates (edge/vision/faces/): one class per decision, and the gallery.

The three decisions share their fields (:class:`FaceDecided`); distances and
ids only, never a face template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority, optional_key
from edge.events.model import MediaRef


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceDecided(DeviceEvent):
    """What every face decision carries; not recorded itself (see its three subclasses)."""

    camera: str
    gate: str
    person_id: str | None
    distance: float | None
    margin: float | None
    votes: int
    track: int
    reason: str  # the access policy's reason, or "unknown face"
    grant_id: str | None
    frame: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceGranted(FaceDecided):
    """A known face was let in: the gate was told to open (gate_opened, else gate_error)."""

    TYPE: ClassVar[str] = "face.granted"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    gate_opened: bool
    gate_error: str | None = optional_key()  # only when the gate did not open


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceDenied(FaceDecided):
    """A known face was refused by the access policy (reason); the gate stays shut."""

    TYPE: ClassVar[str] = "face.denied"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceStranger(FaceDecided):
    """A face nobody enrolled stood at a gate; a snapshot of it goes with the event.

    The snapshot is stored by the face service where it is cut out, so
    ``media`` holds references to stored media.
    """

    TYPE: ClassVar[str] = "face.stranger"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GalleryChanged(DeviceEvent):
    """The face gallery changed (district sync, enrolment, removal): templates added and removed, totals."""

    TYPE: ClassVar[str] = "faces.gallery_changed"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    added: int
    removed: int
    templates: int
    people: int
