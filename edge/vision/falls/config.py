"""``[falls]``: thrown-object detection on the façade cameras (each camera names its calibration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FallsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, title="Detect thrown objects", description="Off: façade cameras only stream.")
    work_width: int = Field(
        640, ge=160, le=1920, title="Analysis width (px)",
        description="Frames are analysed at this width; wider finds smaller objects and costs more.",
    )
    pre_s: float = Field(4.0, ge=0, le=20, title="Clip starts before the throw (s)")
    post_s: float = Field(2.0, ge=0, le=20, title="Clip ends after the fall (s)")
    evidence_width: int = Field(
        960, ge=320, le=3840, title="Clip width (px)",
        description="Frames are kept JPEG-compressed at this width for the evidence clip.",
    )
    jpeg_quality: int = Field(80, ge=30, le=100, title="Clip JPEG quality")
    max_fall_s: float = Field(
        8.0, gt=0, le=30, title="Longest fall kept (s)",
        description="How far back the frame ring reaches beyond pre_s: a fall's frames must still be there.",
    )
    default_fps: float = Field(
        25.0, gt=0, le=120, title="Frame rate when the camera does not say (fps)",
    )
    blind_window_s: float = Field(
        60.0, gt=0, le=3600, title="Blindness check every (s)",
        description="If most frames of this long were skipped (snow, shake, a dirty lens), a falls.blind event says "
        "the camera sees nothing; falls.sighted when it sees again.",
    )
    evidence_retention_days: float = Field(
        180, gt=0, le=3650, title="Keep clips and pictures (days)",
        description="Evidence of falls is erased after this; it is kept longer than face snapshots on purpose.",
    )
