"""Settings every façade camera has (``camera.facade`` and ``sim.facade_camera``): its calibration.

The calibration (a JSON file the web console draws: the façade polygon, masks,
floor lines) tells the thrown-object detector where the building is and where
each floor begins. The file is read and checked by the daemon; a camera
without one streams but is not analysed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from drivers.base import DriverConfig


class FacadeCameraSettings(DriverConfig):
    calibration: Path | None = Field(
        None, title="Calibration file",
        description="JSON: frame_size, facade polygon, masks, floor_lines, first_floor. "
        "Empty: the camera only streams, nothing is detected.",
    )
    building: str | None = Field(
        None, max_length=64, title="Building", description="Named in alarms, e.g. 'Building 3, south face'.",
    )
