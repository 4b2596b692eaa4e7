"""What a driver can do beyond the :class:`~drivers.base.Driver` contract, declared in one place.

The daemon's services each need devices of one sort: the face service
cameras at a gate, the fall service façade cameras, the broadcasts speakers
and the SOS buttons that raise alarms. Each sort is a class here, a
:class:`Driver` with the members that sort has, and a driver class *declares*
what it is by deriving from it (``class FaceCamera(Camera, FaceFeed)``). The
composition root picks a service's devices with ``isinstance`` (see
:func:`edge.daemon.wiring.devices_with`), and the service is typed with the
capability, so nothing looks for a method or a config field by name.

The classes are nominal (abstract base classes), not structural Protocols, on
purpose: a face camera and a façade camera have the same members (frames, a
config), and an SOS button has none of its own, so only a declaration can
tell them apart.

- :class:`FrameFeed`: hands out :class:`~drivers.capabilities.frame.Frame` s to one
  consumer (the frame declares what it carries: ``image``, an optional
  ``detail`` image, its index and clock stamps);
- :class:`FaceFeed`: a frame feed looking at faces at a gate; its config is
  :class:`~drivers.capabilities.face_camera.FaceCameraSettings` (``gate``, ``roi``);
- :class:`FacadeFeed`: a frame feed on a façade; its config is
  :class:`~drivers.capabilities.facade_camera.FacadeCameraSettings` (``calibration``,
  ``building``);
- :class:`Speaker`: takes the speaker commands and declares what ``speaker.play``
  takes (``plays``, see :mod:`drivers.speaker.commands`);
- :class:`Gate`: takes the gate commands (:data:`GATE_COMMANDS`);
- :class:`SosInput`: a button someone presses to call for help; it emits
  ``sos.pressed`` / ``sos.released`` (:mod:`drivers.events`).

To add a driver, derive it from the capabilities it has and give its kind a
line in the table of ``tests/drivers/test_capabilities.py``.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from drivers.base import Driver
from drivers.capabilities.facade_camera import FacadeCameraSettings
from drivers.capabilities.face_camera import FaceCameraSettings
from drivers.capabilities.frame import Frame

#: the commands every speaker takes (their arguments: :mod:`drivers.speaker.commands`)
SPEAKER_COMMANDS: frozenset[str] = frozenset({"speaker.play", "speaker.stop", "speaker.volume"})

#: the commands every gate takes (``gate.open`` with ``{"ms": N}`` optional)
GATE_COMMANDS: frozenset[str] = frozenset({"gate.open", "gate.hold_open", "gate.lock"})


class FrameFeed(Driver):
    """A camera: frames for one consumer, oldest first, from a bounded buffer that drops the oldest."""

    @abc.abstractmethod
    async def next_frame(
        self, timeout: float | None = None, *, newest: bool = False  # noqa: ASYNC109 (on the driver's clock)
    ) -> Frame | None:
        """The oldest buffered frame (``newest``: the newest, the older ones discarded); waits up to
        ``timeout`` s for one (None: forever), else None."""

    @property
    @abc.abstractmethod
    def declared_fps(self) -> float | None:
        """The frame rate the device's config sets; None: the stream's own, unknown until measured."""


class FaceFeed(FrameFeed):
    """A camera looking at faces at a gate (``camera.face``, ``sim.face_camera``)."""

    config: FaceCameraSettings  # gate (None: it only reports), roi


class FacadeFeed(FrameFeed):
    """A camera on a façade, watched for thrown objects (``camera.facade``, ``sim.facade_camera``)."""

    config: FacadeCameraSettings  # calibration (None: it only streams), building


class Speaker(Driver):
    """A loudspeaker: takes the speaker commands (:data:`drivers.speaker.commands.COMMANDS`); ``speaker.play`` takes the forms in ``plays``
    (``"wav"``, ``"tone"``, ``"url"``, ``"text"``: a speaker with ``"text"`` speaks with its own voice)."""

    plays: ClassVar[frozenset[str]]


class Gate(Driver):
    """A gate or door lock: takes :data:`GATE_COMMANDS`."""


class SosInput(Driver):
    """An SOS button: someone presses it to call for help, which raises the ``sos.pressed`` alarm.

    An SOS input that cannot be read is itself a life-safety condition: its
    ``offline_priority`` is ``Priority.LIFE_SAFETY``.
    """


#: every capability, for listings and tests
CAPABILITIES: tuple[type[Driver], ...] = (FrameFeed, FaceFeed, FacadeFeed, Speaker, Gate, SosInput)

__all__ = ["CAPABILITIES", "GATE_COMMANDS", "SPEAKER_COMMANDS", "FacadeFeed", "FaceFeed", "FrameFeed", "Gate",
           "Speaker", "SosInput"]
