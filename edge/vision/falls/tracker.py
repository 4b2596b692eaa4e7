"""Multi-target tracking of small, fast blobs under gravity.

Thrown objects are a few pixels wide and move several pixels a frame, so box
overlap means nothing; each track instead predicts where its object will be
(a constant-velocity model plus gravity, refitted from its recent points) and
blobs are assigned greedily by distance to the prediction, within a gate that
grows with speed and with each missed frame. A track survives a few missed
frames (balconies occlude) and is handed back, finished, when it has missed
too many or grown too long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edge.vision.falls.motion import Blob

#: gravity at a point, in pixels per frame squared (downwards positive)
Gravity = Callable[[float, float], float]


@dataclass(frozen=True)
class TrackerConfig:
    max_missed: int = 2  # for a track of fewer than ``established_points`` points
    max_missed_established: int = 8  # balconies hide a falling object for several frames
    established_points: int = 4
    max_frames: int = 200  # a track older than this is finished (nothing falls that long in view)
    first_gate_px: float = 12.0  # search radius for the second point, working pixels
    gate_px: float = 2.5
    gate_speed_share: float = 0.25  # the gate grows by this share of the speed (pixels/frame)
    fit_points: int = 10


@dataclass
class Track:
    id: int
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (frame, x, y), working px
    missed: int = 0

    @property
    def last_frame(self) -> int:
        return self.points[-1][0]

    def predict(self, frame: int, gravity: Gravity, fit_points: int = 10) -> tuple[float, float, float]:
        """Expected (x, y) at ``frame`` and the speed in pixels/frame the gate should allow for."""
        f1, x1, y1 = self.points[-1]
        dt = frame - f1
        if len(self.points) == 1:
            return x1, y1, 0.0
        recent = self.points[-fit_points:]
        if len(recent) < 3:
            f0, x0, y0 = recent[0]
            vx, vy = (x1 - x0) / (f1 - f0), (y1 - y0) / (f1 - f0)
            g = gravity(x1, y1)
            return x1 + vx * dt, y1 + vy * dt + 0.5 * g * dt * dt, float(np.hypot(vx, vy))
        frames = np.array([p[0] for p in recent], float) - f1
        xs = np.array([p[1] for p in recent])
        ys = np.array([p[2] for p in recent])
        g = gravity(x1, y1)
        # y = y1' + vy t + g t^2 / 2 with g known: a linear fit of y - g t^2 / 2
        vy, y_at = np.polyfit(frames, ys - 0.5 * g * frames**2, 1)
        vx, x_at = np.polyfit(frames, xs, 1)
        return x_at + vx * dt, y_at + vy * dt + 0.5 * g * dt * dt, float(np.hypot(vx, vy))


class Tracker:
    """Associates each frame's blobs with tracks; returns the tracks that ended."""

    def __init__(self, gravity: Gravity, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.gravity = gravity
        self.tracks: list[Track] = []
        self._next_id = 1

    def watch(self, frame: int, min_points: int = 3) -> list[tuple[float, float, float]]:
        """(x, y, radius) where each track of ``min_points`` or more expects its object at ``frame``."""
        out = []
        for track in self.tracks:
            if len(track.points) >= min_points:
                x, y, speed = track.predict(frame, self.gravity, self.config.fit_points)
                out.append((x, y, self._gate(track, speed, frame - track.last_frame)))
        return out

    def update(self, frame: int, blobs: list[Blob], spawn: bool = True) -> list[Track]:
        """Assign ``blobs`` seen at ``frame``; an empty list is a frame with nothing (or skipped).
        With ``spawn`` false (a cluttered frame) blobs extend tracks but start none."""
        pairs = []
        for t_index, track in enumerate(self.tracks):
            x, y, speed = track.predict(frame, self.gravity, self.config.fit_points)
            gate = self._gate(track, speed, frame - track.last_frame)
            for b_index, blob in enumerate(blobs):
                distance = float(np.hypot(blob.x - x, blob.y - y))
                if distance <= gate:
                    pairs.append((distance / gate, t_index, b_index))
        pairs.sort()
        taken_tracks: set[int] = set()
        taken_blobs: set[int] = set()
        for _, t_index, b_index in pairs:
            if t_index in taken_tracks or b_index in taken_blobs:
                continue
            taken_tracks.add(t_index)
            taken_blobs.add(b_index)
            track = self.tracks[t_index]
            track.points.append((frame, blobs[b_index].x, blobs[b_index].y))
            track.missed = 0
        for t_index, track in enumerate(self.tracks):
            if t_index not in taken_tracks:
                track.missed = frame - track.last_frame
        for b_index, blob in enumerate(blobs):
            if spawn and b_index not in taken_blobs:
                self.tracks.append(Track(self._next_id, [(frame, blob.x, blob.y)]))
                self._next_id += 1
        return self._retire(frame)

    def finish(self) -> list[Track]:
        """End of stream: every live track is finished."""
        ended, self.tracks = self.tracks, []
        return ended

    def _gate(self, track: Track, speed: float, dt: int) -> float:
        c = self.config
        if len(track.points) == 1:
            return c.first_gate_px * max(dt, 1)
        return (c.gate_px + c.gate_speed_share * speed) * (1 + 0.3 * (dt - 1))

    def _retire(self, frame: int) -> list[Track]:
        c = self.config
        ended, alive = [], []
        for track in self.tracks:
            too_old = track.last_frame - track.points[0][0] >= c.max_frames
            allowed = c.max_missed_established if len(track.points) >= c.established_points else c.max_missed
            (ended if track.missed > allowed or too_old else alive).append(track)
        self.tracks = alive
        return ended
