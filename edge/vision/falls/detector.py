"""Frames in, thrown-object events out: the one code path for the CLI, the benchmark and the daemon.

:class:`FallDetector` takes a camera's frames in order (any size, BGR or grey),
works on a grey copy at reduced resolution (``work_width``), finds moving blobs
(:mod:`.motion`), tracks them (:mod:`.tracker`), judges each finished track
(:mod:`.trajectory`) and attributes the release point to a floor
(:mod:`.floors`). Events carry coordinates in the calibration's pixels, so
the console can draw them over its own still, whatever the stream's size.

It is synchronous and CPU-bound: the daemon runs it off the event loop.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge.vision.falls.calibration import FloorCalibration
from edge.vision.falls.floors import floor_of_level
from edge.vision.falls.motion import MotionConfig, MotionDetector
from edge.vision.falls.tracker import Track, Tracker, TrackerConfig
from edge.vision.falls.trajectory import G, TrajectoryConfig, continues, evaluate

#: verdicts of a track that may be the first piece of a fall
_PARTIAL = frozenset({"too_few_points", "too_short", "fall_too_small"})


@dataclass(frozen=True)
class FallConfig:
    work_width: int = 640
    facade_margin_px: float = 12.0  # calibration pixels: objects fly a little in front of the wall
    fragment_points: int = 4  # shorter tracks are neither judged nor kept to be joined
    max_join_gap_s: float = 0.8  # a fragment this recent may be the start of a track
    motion: MotionConfig = field(default_factory=MotionConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    trajectory: TrajectoryConfig = field(default_factory=TrajectoryConfig)


@dataclass(frozen=True)
class FallEvent:
    start_frame: int
    end_frame: int
    release_frame: float
    origin: tuple[float, float]
    floor: int
    floor_alt: int | None
    confidence: float
    track: list[tuple[int, float, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "fall.detected",
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "release_frame": round(self.release_frame, 2),
            "origin": [round(self.origin[0], 1), round(self.origin[1], 1)],
            "floor": self.floor,
            "floor_alt": self.floor_alt,
            "confidence": self.confidence,
            "track": [[f, round(x, 1), round(y, 1)] for f, x, y in self.track],
        }


class FallDetector:
    """One camera's analysis state. Call :meth:`process` per frame, :meth:`finish` at the end."""

    def __init__(self, calibration: FloorCalibration, frame_size: tuple[int, int], fps: float,
                 config: FallConfig | None = None) -> None:
        self.config = config or FallConfig()
        self.calibration = calibration
        self.fps = fps if fps and fps > 1 else 25.0
        width, height = frame_size
        scale = min(1.0, self.config.work_width / width)
        self.work_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        self._to_cal = (calibration.frame_size[0] / self.work_size[0], calibration.frame_size[1] / self.work_size[1])
        self._work_cal = calibration.scaled(self.work_size)
        region = calibration.region_mask(self.work_size, self.config.facade_margin_px)
        self.motion = MotionDetector(region, self.config.motion)
        self.tracker = Tracker(self._gravity, self.config.tracker)
        self.skipped: dict[str, int] = {}
        self._pending: list[FallEvent] = []
        self._same_px = 0.02 * calibration.frame_size[0]  # two tracks this close follow one object
        self.rejected: dict[str, int] = {}  # why tracks of enough points were not events
        self._emitted: list[FallEvent] = []
        self._fragments: list[list[tuple[int, float, float]]] = []

    def process(self, frame: np.ndarray, index: int) -> list[FallEvent]:
        """Analyse frame number ``index``; returns the events whose tracks ended with this frame."""
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if grey.shape[1] != self.work_size[0] or grey.shape[0] != self.work_size[1]:
            grey = cv2.resize(grey, self.work_size, interpolation=cv2.INTER_AREA)
        result = self.motion.detect(grey, lambda: self.tracker.watch(index))
        if result.skipped is not None:
            self.skipped[result.skipped] = self.skipped.get(result.skipped, 0) + 1
        self._pending += self._judge(self.tracker.update(index, result.blobs, spawn=result.skipped is None))
        return self._settle(final=False)

    def finish(self) -> list[FallEvent]:
        """End of stream: judge the tracks still open and return the last events."""
        self._pending += self._judge(self.tracker.finish())
        return self._settle(final=True)

    def _settle(self, final: bool) -> list[FallEvent]:
        """Emit pending events no live track duplicates; of duplicates, only the best-seen one.

        One object can leave two tracks (a split blob, a track broken by occlusion);
        an event waits until no live track follows the same object, then only the
        best of its group is reported, and never one that repeats an emitted event.
        """
        if not self._pending:
            return []
        live = [self._cal_points(t.points) for t in self.tracker.tracks if len(t.points) >= 3]
        ready = [e for e in self._pending if final or not any(_same_object(e.track, p, self._same_px) for p in live)]
        if not ready:
            return []
        self._pending = [e for e in self._pending if e not in ready]
        out: list[FallEvent] = []
        for group in _groups(ready, self._same_px):
            event = self._merged(group)
            if not any(_same_object(event.track, other.track, self._same_px) for other in self._emitted):
                out.append(event)
        self._emitted = (self._emitted + out)[-20:]
        return sorted(out, key=lambda e: e.start_frame)

    def _merged(self, group: list[FallEvent]) -> FallEvent:
        """One event from several tracks of one object: their points pooled, judged again."""
        best = max(group, key=lambda e: len(e.track) * e.confidence)
        if len(group) == 1:
            return best
        pooled: dict[int, list[tuple[float, float]]] = {}
        for event in group:
            for f, x, y in event.track:
                pooled.setdefault(f, []).append((x, y))
        points = [(f, float(np.mean([p[0] for p in ps])), float(np.mean([p[1] for p in ps])))
                  for f, ps in sorted(pooled.items())]
        merged, _ = self._event(points)
        return merged if merged is not None else best

    def _cal_points(self, points: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
        return [(f, x * self._to_cal[0], y * self._to_cal[1]) for f, x, y in points]

    def _gravity(self, x: float, y: float) -> float:
        """Gravity in working pixels per frame squared at (x, y)."""
        floors_per_s2 = G / self.config.trajectory.storey_m
        return floors_per_s2 * self._work_cal.floor_height_px(x, y) / (self.fps * self.fps)

    def _judge(self, tracks: list[Track]) -> list[FallEvent]:
        events = []
        for track in sorted(tracks, key=lambda t: t.points[0][0]):
            if len(track.points) >= self.config.fragment_points:
                event = self._stitched(self._cal_points(track.points))
                if event is not None:
                    events.append(event)
        return events

    def _stitched(self, points: list[tuple[int, float, float]]) -> FallEvent | None:
        """Judge a track alone and after each recent fragment: balconies can break one fall in pieces.

        A fragment is tried only when this track starts where, and as fast as,
        the fragment carried on under gravity would be; the joined points must
        then pass the whole trajectory test. The longest accepted (or, if none,
        still plausible) point list is kept as a fragment for tracks ending later.
        """
        start = points[0][0]
        horizon = self.config.max_join_gap_s * self.fps
        self._fragments = [f for f in self._fragments if start - f[-1][0] <= horizon]
        candidates = [points] + [f + points for f in self._fragments
                                 if 0 < start - f[-1][0] <= horizon and self._continues(f, points)]
        best: FallEvent | None = None
        keep = points
        for joined in candidates:
            event, reason = self._event(joined)
            if event is not None and (best is None or len(joined) > len(best.track)):
                best, keep = event, joined
            elif best is None and reason in _PARTIAL and len(joined) > len(keep):
                keep = joined
        self._fragments.append(keep)
        return best

    def _continues(self, first: list[tuple[int, float, float]], then: list[tuple[int, float, float]]) -> bool:
        return continues(first, then, self.calibration, self.fps, self.config.trajectory)

    def _event(self, points: list[tuple[int, float, float]]) -> tuple[FallEvent | None, str]:
        verdict = evaluate(points, self.calibration, self.fps, self.config.trajectory)
        if not verdict.accepted or verdict.release is None:
            self.rejected[verdict.reason] = self.rejected.get(verdict.reason, 0) + 1
            return None, verdict.reason
        release = verdict.release
        points = [(int(f), x, y) for f, x, y in verdict.track]
        y = self.calibration.y_at_level(release.x, release.level)
        if not self.calibration.inside_facade(release.x, y, self.config.facade_margin_px):
            return None, "release_outside_facade"
        reading = floor_of_level(self.calibration, release.level)
        return FallEvent(
            start_frame=points[0][0], end_frame=points[-1][0],
            release_frame=points[0][0] + release.t * self.fps,
            origin=(release.x, y), floor=reading.floor, floor_alt=reading.floor_alt,
            confidence=verdict.confidence, track=points,
        ), "ok"


def _groups(events: list[FallEvent], tolerance_px: float) -> list[list[FallEvent]]:
    """Events grouped so that each group's tracks follow one object."""
    groups: list[list[FallEvent]] = []
    for event in events:
        home = next((g for g in groups if any(_same_object(event.track, o.track, tolerance_px) for o in g)), None)
        if home is None:
            groups.append([event])
        else:
            home.append(event)
    return groups


def _same_object(a: list[tuple[int, float, float]], b: list[tuple[int, float, float]],
                 tolerance_px: float) -> bool:
    """Do two tracks follow one object: close at three or more of ``a``'s frames, where ``b`` is
    interpolated between its points (two tracks of one object can take turns)? Pieces in sequence
    are joined by :meth:`FallDetector._stitched`, which checks the physics."""
    frames = [f for f, _, _ in b]
    close = 0
    for f, x, y in a:
        k = bisect.bisect_left(frames, f)
        if k < len(b) and frames[k] == f:
            bx, by = b[k][1], b[k][2]
        elif 0 < k < len(b) and frames[k] - frames[k - 1] <= 4:
            share = (f - frames[k - 1]) / (frames[k] - frames[k - 1])
            bx = b[k - 1][1] + share * (b[k][1] - b[k - 1][1])
            by = b[k - 1][2] + share * (b[k][2] - b[k - 1][2])
        else:
            continue
        close += math.hypot(x - bx, y - by) <= tolerance_px
    return close >= 3
