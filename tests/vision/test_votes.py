"""The verdict rules and the track vote, on made-up matches (no models needed)."""

from __future__ import annotations

import math

from edge.vision.faces.gallery import Match
from edge.vision.faces.tracks import FaceTracker, TrackSettings
from edge.vision.faces.verdict import MatchRules, Verdict, judge

RULES = MatchRules(threshold=0.5, margin=0.06)
BOX = (100, 300, 300, 100)


def m(person: str | None, distance: float | None, second: float = math.inf) -> Match:
    return Match(person, distance, "t" if person else None, second)


def test_threshold_and_margin() -> None:
    assert judge(m("a", 0.40, 0.80), RULES) == Verdict("match", "a", 0.40, 0.40)
    assert judge(m("a", 0.40), RULES) == Verdict("match", "a", 0.40, None)  # the only person enrolled
    assert judge(m("a", 0.55, 0.80), RULES).kind == "unknown"
    assert judge(m("a", 0.45, 0.49), RULES).kind == "ambiguous"  # b is nearly as close as a
    assert judge(m(None, None), RULES) == Verdict("unknown", None, None, None)
    assert judge(m("a", 0.40, 0.80), RULES).matched == "a"
    assert judge(m("a", 0.45, 0.49), RULES).matched is None


def match(person: str, distance: float = 0.4) -> Verdict:
    return Verdict("match", person, distance, 0.3)


UNKNOWN = Verdict("unknown", "z", 0.7, 0.05)


def test_two_of_three_frames_must_agree_and_a_track_decides_once() -> None:
    tracker = FaceTracker(TrackSettings(votes_needed=2, vote_window=3))
    assert tracker.observe(0.0, [(BOX, match("a", 0.42))]) == []
    (outcome,) = tracker.observe(0.2, [(BOX, match("a", 0.38))])
    assert (outcome.kind, outcome.person_id, outcome.distance, outcome.votes) == ("identified", "a", 0.38, 2)
    assert tracker.observe(0.4, [(BOX, match("a"))]) == []
    assert tracker.decided_boxes() == (BOX,)


def test_disagreeing_frames_decide_nothing() -> None:
    tracker = FaceTracker(TrackSettings(votes_needed=2, vote_window=3))
    outcomes = []
    for t, verdict in enumerate([match("a"), match("b"), Verdict("ambiguous", "a", 0.45, 0.01), match("c")]):
        outcomes += tracker.observe(t * 0.2, [(BOX, verdict)])
    assert outcomes == []


def test_strangers_are_reported_again_only_after_the_repeat_interval() -> None:
    tracker = FaceTracker(TrackSettings(votes_needed=2, vote_window=3, ttl_s=5, stranger_repeat_s=10))
    kinds = []
    for step in range(60):  # 12 s at 5 fps, the same stranger all along
        kinds += [o.kind for o in tracker.observe(step * 0.2, [(BOX, UNKNOWN)])]
    assert kinds == ["stranger", "stranger"]


def test_a_stranger_track_can_still_identify_a_resident_who_turned_back() -> None:
    tracker = FaceTracker()
    decided = []
    for t, verdict in enumerate([UNKNOWN, UNKNOWN, match("a"), match("a")]):
        decided += [(o.kind, o.person_id) for o in tracker.observe(t * 0.2, [(BOX, verdict)])]
    assert decided == [("stranger", None), ("identified", "a")]


def test_two_faces_keep_their_own_tracks_as_they_move() -> None:
    tracker = FaceTracker()
    left, right = (100, 200, 200, 100), (100, 500, 200, 400)
    outcomes = []
    for step in range(3):
        shift = 15 * step
        moved_left = (left[0], left[1] + shift, left[2], left[3] + shift)
        moved_right = (right[0], right[1] - shift, right[2], right[3] - shift)
        outcomes += tracker.observe(step * 0.2, [(moved_right, match("b")), (moved_left, match("a"))])
    assert sorted(o.person_id for o in outcomes) == ["a", "b"]
    assert len({o.track_id for o in outcomes}) == 2


def test_a_track_not_seen_for_its_ttl_ends_and_the_face_starts_afresh() -> None:
    tracker = FaceTracker(TrackSettings(ttl_s=1.0))
    tracker.observe(0.0, [(BOX, match("a"))])
    tracker.observe(0.2, [(BOX, match("a"))])
    assert tracker.observe(3.0, [(BOX, match("a"))]) == []  # a new track: one vote so far
    (again,) = tracker.observe(3.2, [(BOX, match("a"))])
    assert again.person_id == "a" and again.track_id == 2


def test_frames_without_encodings_keep_a_track_alive_without_voting() -> None:
    tracker = FaceTracker(TrackSettings(ttl_s=1.0))
    tracker.observe(0.0, [(BOX, match("a"))])
    for step in range(1, 8):
        assert tracker.observe(step * 0.5, [(BOX, None)]) == []
    (outcome,) = tracker.observe(4.0, [(BOX, match("a"))])
    assert outcome.track_id == 1
