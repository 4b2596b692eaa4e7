"""``[faces]``: how the gate cameras recognise residents. Every setting has a safe default.

The defaults were measured on the sample photos (docs/faces.md): the
threshold is stricter than the library's 0.6 because a gallery of ~7,000
residents gives a stranger many chances to land near someone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # the settings classes pull in OpenCV: loaded only when used, not to read a config
    from edge.vision.faces.engine import DetectSettings
    from edge.vision.faces.motion import MotionSettings
    from edge.vision.faces.tracks import TrackSettings
    from edge.vision.faces.verdict import MatchRules

DEFAULT_THRESHOLD = 0.5  # docs/faces.md: 0.07 above the furthest genuine pair, 0.27 below the nearest impostor
DEFAULT_MARGIN = 0.06


class FacesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, title="Recognise faces", description="Off: face cameras only stream.")
    threshold: float = Field(
        DEFAULT_THRESHOLD, gt=0.2, lt=0.8, title="Match threshold",
        description="Largest face distance that can match a resident. Lower: fewer strangers let in, "
        "more residents asked to look again.",
    )
    margin: float = Field(
        DEFAULT_MARGIN, ge=0, lt=0.5, title="Margin to the next person",
        description="The second-nearest resident must be at least this much further than the nearest.",
    )
    votes_needed: int = Field(2, ge=1, le=10, title="Frames that must agree")
    vote_window: int = Field(3, ge=1, le=20, title="Out of the last frames")
    track_ttl_s: float = Field(1.5, gt=0, le=30, title="Forget a face after (s)")
    stranger_repeat_s: float = Field(60.0, ge=1, le=3600, title="Report the same stranger again after (s)")
    detect_width: int = Field(
        640, ge=160, le=3840, title="Detection width (px)",
        description="Frames are scaled down to this width to find faces; faces under ~80 px after scaling are missed.",
    )
    upsample: int = Field(0, ge=0, le=2, title="Detector upsampling", description="1 finds smaller faces at ~4x the cost.")
    min_detect_score: float = Field(
        0.5, ge=-1, le=3, title="Least detector score",
        description="HOG's confidence: faces in the sample photos score 0.64-2.2; lower finds more, and more hands.",
    )
    min_face_px: int = Field(80, ge=40, le=1000, title="Smallest face to encode (px)")
    min_sharpness: float = Field(40.0, ge=0, title="Least sharpness to encode")
    max_yaw: float = Field(0.3, gt=0, le=1, title="Most a face may be turned aside")
    workers: int = Field(1, ge=1, le=8, title="Worker processes", description="One per core that faces may use.")
    refresh_s: float = Field(2.0, gt=0, le=300, title="Look for gallery and grant changes every (s)")
    snapshot_retention_days: float = Field(
        30, gt=0, le=365, title="Keep snapshots (days)", description="Stranger and decision snapshots are erased after this.",
    )
    keep_source_photos: bool = Field(
        False, title="Keep enrollment photos",
        description="Off: a photo sent to be enrolled is erased as soon as its template is made.",
    )
    models_dir: Path | None = Field(None, title="Model folder", description="Empty: the installed face_recognition_models.")

    @model_validator(mode="after")
    def _votes_fit(self) -> FacesConfig:
        if self.votes_needed > self.vote_window:
            raise ValueError(f"votes_needed ({self.votes_needed}) cannot exceed vote_window ({self.vote_window})")
        return self

    def detect_settings(self) -> DetectSettings:
        from edge.vision.faces.engine import DetectSettings
        from edge.vision.faces.quality import QualityLimits

        limits = QualityLimits(min_face_px=self.min_face_px, min_sharpness=self.min_sharpness, max_yaw=self.max_yaw)
        return DetectSettings(self.detect_width, self.upsample, self.min_detect_score, quality=limits)

    def match_rules(self) -> MatchRules:
        from edge.vision.faces.verdict import MatchRules

        return MatchRules(self.threshold, self.margin)

    def track_settings(self) -> TrackSettings:
        from edge.vision.faces.tracks import TrackSettings

        return TrackSettings(self.votes_needed, self.vote_window, self.track_ttl_s, self.stranger_repeat_s)

    def motion_settings(self) -> MotionSettings:
        from edge.vision.faces.motion import MotionSettings

        return MotionSettings()
