"""One gate camera's frames in, access decisions out — the path the daemon and ``faces watch`` share.

For each frame: the motion gate (skip a still scene with no face being
followed) → the analyzer (detect, measure, encode; in a worker) → the gallery
(1:N, in this process, one matrix product) → the verdict rules → the tracker's
vote → for an identified person, the access policy for this gate at the
frame's time. Frames are taken one at a time: while one is analysed, newer
ones wait in the camera's buffer (which drops the oldest).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import numpy as np

from drivers.capabilities.frame import Frame
from edge.vision.faces.engine import Box, FaceFound, Roi
from edge.vision.faces.motion import MotionGate, MotionSettings
from edge.vision.faces.tracks import FaceTracker, TrackOutcome, TrackSettings
from edge.vision.faces.verdict import MatchRules, Verdict, judge
from edge.vision.faces.workers import FaceAnalyzer

DecisionKind = Literal["granted", "denied", "stranger"]


class GalleryLike(Protocol):
    def match(self, queries: np.ndarray) -> list: ...


class AccessLike(Protocol):
    allowed: bool
    reason: str
    grant_id: str | None


@dataclass(frozen=True, slots=True)
class FaceDecision:
    frame: int
    kind: DecisionKind
    person_id: str | None
    distance: float | None
    margin: float | None
    votes: int
    track_id: int
    box: Box
    reason: str  # the access policy's reason, or "unknown face"
    grant_id: str | None
    at: datetime


@dataclass
class PipelineStats:
    frames: int = 0
    still: int = 0  # skipped by the motion gate
    analysed: int = 0
    faces: int = 0
    encoded: int = 0
    last_analyse_ms: float = 0.0


class FacePipeline:
    def __init__(
        self,
        analyzer: FaceAnalyzer,
        gallery: Callable[[], GalleryLike],
        access: Callable[[str, datetime], AccessLike],
        *,
        rules: MatchRules | None = None,
        tracks: TrackSettings | None = None,
        motion: MotionSettings | None = None,
        roi: Roi | None = None,
    ) -> None:
        self._analyzer, self._gallery, self._access = analyzer, gallery, access
        self.rules = rules or MatchRules()
        self.tracker = FaceTracker(tracks)
        self._motion = MotionGate(motion)
        self._roi = roi
        self.stats = PipelineStats()

    async def process(self, frame: Frame) -> list[FaceDecision]:
        """The decisions this frame completes (usually none)."""
        self.stats.frames += 1
        moved = self._motion.moved(frame.image)
        if not moved and not self.tracker.tracks:
            self.stats.still += 1
            return []
        started = time.perf_counter()
        faces = await self._analyzer.analyze(
            frame.image, detail=frame.detail, roi=self._roi, skip=self.tracker.decided_boxes(),
        )
        verdicts = self._verdicts(faces)
        self.stats.analysed += 1
        self.stats.faces += len(faces)
        self.stats.last_analyse_ms = (time.perf_counter() - started) * 1000
        outcomes = self.tracker.observe(frame.monotonic, [(f.box, v) for f, v in zip(faces, verdicts, strict=True)])
        return [self._decide(frame, outcome) for outcome in outcomes]

    def _verdicts(self, faces: list[FaceFound]) -> list[Verdict | None]:
        encoded = [f.encoding for f in faces if f.encoding is not None]
        self.stats.encoded += len(encoded)
        if not encoded:
            return [None] * len(faces)
        matches = iter(self._gallery().match(np.stack(encoded)))
        return [judge(next(matches), self.rules) if f.encoding is not None else None for f in faces]

    def _decide(self, frame: Frame, outcome: TrackOutcome) -> FaceDecision:
        if outcome.kind == "stranger" or outcome.person_id is None:
            kind: DecisionKind = "stranger"
            reason, grant_id = "unknown face", None
        else:
            access = self._access(outcome.person_id, frame.wall)
            kind = "granted" if access.allowed else "denied"
            reason, grant_id = access.reason, access.grant_id
        return FaceDecision(
            frame.index, kind, outcome.person_id, outcome.distance, outcome.margin, outcome.votes,
            outcome.track_id, outcome.box, reason, grant_id, frame.wall,
        )
