"""Faces followed across frames, and the vote that turns frames into one decision.

A single frame is a fragile witness: the same resident's video frames lie
0.31–0.62 from their photo (FACTS.md). So each face gets a short track, and
the track decides only when ``votes_needed`` of its last ``vote_window``
encoded frames agree:

- the same person matched in enough frames → ``identified`` (once per track);
- enough frames with no one within the threshold → ``stranger`` (again only
  after ``stranger_repeat_s``, while the track lasts). A stranger track keeps
  voting: a resident who first turned aside can still be identified;
- ``ambiguous`` frames count for nobody.

Association is by box overlap, or by centre distance for a face that moved
fast between frames, greedily best first. A track not seen for ``ttl_s`` ends.
Frames without an encoding (poor quality, or skipped because the track had
already decided) still move the track along.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Literal

from edge.vision.faces.engine import Box, overlap
from edge.vision.faces.verdict import Verdict


@dataclass(frozen=True, slots=True)
class TrackSettings:
    votes_needed: int = 2
    vote_window: int = 3
    ttl_s: float = 1.5
    stranger_repeat_s: float = 60.0


@dataclass(frozen=True, slots=True)
class TrackOutcome:
    track_id: int
    kind: Literal["identified", "stranger"]
    person_id: str | None
    distance: float | None  # the best of the agreeing votes
    margin: float | None
    votes: int  # how many of the window agreed
    box: Box


@dataclass
class Track:
    id: int
    box: Box
    last_seen: float
    votes: deque[Verdict] = field(default_factory=deque)
    identified: str | None = None
    stranger_at: float | None = None  # when the last stranger outcome was given


class FaceTracker:
    def __init__(self, settings: TrackSettings | None = None) -> None:
        self.settings = settings or TrackSettings()
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)

    def decided_boxes(self) -> tuple[Box, ...]:
        """Boxes of tracks that already identified someone: no need to encode them again."""
        return tuple(track.box for track in self.tracks if track.identified is not None)

    def observe(self, now: float, faces: list[tuple[Box, Verdict | None]]) -> list[TrackOutcome]:
        """Feed one analysed frame's faces (box, verdict or None); the decisions it completes."""
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.settings.ttl_s]
        outcomes = []
        for track, (box, verdict) in self._associate(faces, now):
            track.box, track.last_seen = box, now
            if verdict is None:
                continue
            track.votes.append(verdict)
            while len(track.votes) > self.settings.vote_window:
                track.votes.popleft()
            if (outcome := self._decide(track, now)) is not None:
                outcomes.append(outcome)
        return outcomes

    def _associate(self, faces: list[tuple[Box, Verdict | None]], now: float) -> list[tuple[Track, tuple]]:
        pairs = sorted(
            ((_affinity(track.box, face[0]), t, f) for t, track in enumerate(self.tracks) for f, face in enumerate(faces)),
            key=lambda item: -item[0],
        )
        taken_tracks: set[int] = set()
        taken_faces: set[int] = set()
        matched = []
        for affinity, t, f in pairs:
            if affinity <= 0 or t in taken_tracks or f in taken_faces:
                continue
            taken_tracks.add(t)
            taken_faces.add(f)
            matched.append((self.tracks[t], faces[f]))
        for f, face in enumerate(faces):
            if f not in taken_faces:
                track = Track(next(self._ids), face[0], now)
                self.tracks.append(track)
                matched.append((track, face))
        return matched

    def _decide(self, track: Track, now: float) -> TrackOutcome | None:
        if track.identified is not None:
            return None
        needed = self.settings.votes_needed
        people = Counter(v.person_id for v in track.votes if v.kind == "match")
        if people:
            person, count = people.most_common(1)[0]
            if count >= needed:
                track.identified = person
                agreeing = [v for v in track.votes if v.kind == "match" and v.person_id == person]
                return _outcome(track, "identified", person, agreeing)
        strangers = [v for v in track.votes if v.kind == "unknown"]
        repeat_due = track.stranger_at is None or now - track.stranger_at >= self.settings.stranger_repeat_s
        if len(strangers) >= needed and repeat_due:
            track.stranger_at = now
            return _outcome(track, "stranger", None, strangers)
        return None


def _outcome(track: Track, kind: Literal["identified", "stranger"], person: str | None, votes: list[Verdict]) -> TrackOutcome:
    known = [v for v in votes if v.distance is not None]
    best = min(known, key=lambda v: v.distance or 0.0) if known else None
    return TrackOutcome(
        track.id, kind, person, best.distance if best else None, best.margin if best else None, len(votes), track.box,
    )


def _affinity(a: Box, b: Box) -> float:
    """How well box ``b`` continues box ``a``: overlap, else closeness of centres (0: not at all)."""
    iou = overlap(a, b)
    if iou >= 0.2:
        return 1.0 + iou
    width = max(1, (a[1] - a[3] + b[1] - b[3]) / 2)
    dx = (a[1] + a[3] - b[1] - b[3]) / 2
    dy = (a[0] + a[2] - b[0] - b[2]) / 2
    distance = (dx * dx + dy * dy) ** 0.5 / width
    return max(0.0, 1.0 - distance / 0.75) if distance < 0.75 else 0.0
