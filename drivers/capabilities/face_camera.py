"""Settings every face camera has (``camera.face`` and ``sim.face_camera``): its gate and where faces are.

``gate`` names the gate device the camera opens for recognised residents, and
is declared as a reference, so the config check refuses a missing, disabled or
non-gate device. ``roi`` is the part of the frame faces are looked for in.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from drivers.base import DriverConfig

#: the device kinds a face camera's ``gate`` may name (those that answer ``gate.open``)
GATE_KINDS: tuple[str, ...] = ("sim.gate", "modbus.gate", "lcus.relay")

Fraction = Annotated[float, Field(ge=0, le=1)]




class FaceCameraSettings(DriverConfig):
    gate: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", title="Gate",
        description="Id of the gate this camera opens for recognised residents "
        f"({', '.join(GATE_KINDS)}). Empty: the camera only reports.",
    )
    roi: tuple[Fraction, Fraction, Fraction, Fraction] | None = Field(
        None, title="Face search region",
        description="x0, y0, x1, y1 as fractions of the frame (0 = left/top, 1 = right/bottom), "
        "e.g. [0.25, 0.1, 0.75, 0.9]. Faces are looked for only there. Empty: the whole frame.",
    )

    @model_validator(mode="after")
    def _roi_has_area(self) -> FaceCameraSettings:
        if self.roi is not None:
            x0, y0, x1, y1 = self.roi
            if not (x0 < x1 and y0 < y1):
                raise ValueError("roi is x0, y0, x1, y1 with x0 < x1 and y0 < y1")
        return self

    def references(self) -> dict[str, str | tuple[str, ...]]:
        return {self.gate: GATE_KINDS} if self.gate is not None else {}
