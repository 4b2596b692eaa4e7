"""The tracker: gravity in the prediction, missed frames tolerated, several objects at once."""

from __future__ import annotations

from edge.vision.falls.motion import Blob
from edge.vision.falls.tracker import Tracker

GRAVITY = 0.12  # pixels per frame squared


def _blob(x: float, y: float) -> Blob:
    return Blob(x, y, 4, 2, 2)


def _falling(frame: int, x0: float, vx: float, start: int = 0) -> tuple[float, float]:
    t = frame - start
    return x0 + vx * t, 50 + 0.5 * GRAVITY * t * t


def _run(frames: int, blobs_at) -> list:  # type: ignore[no-untyped-def]
    tracker = Tracker(lambda x, y: GRAVITY)
    ended = []
    for frame in range(frames):
        ended += tracker.update(frame, blobs_at(frame))
    return ended + tracker.finish()


def test_one_falling_object_is_one_track_across_missed_frames() -> None:
    hidden = {12, 13, 14, 30, 31}  # behind balconies

    def blobs(frame: int) -> list[Blob]:
        return [] if frame in hidden else [_blob(*_falling(frame, 100, 1.0))]

    tracks = [t for t in _run(45, blobs) if len(t.points) > 1]
    assert len(tracks) == 1
    assert len(tracks[0].points) == 45 - len(hidden)


def test_two_objects_falling_side_by_side_keep_their_tracks() -> None:
    def blobs(frame: int) -> list[Blob]:
        return [_blob(*_falling(frame, 100, 0.5)), _blob(*_falling(frame, 130, -0.5, start=5))]

    tracks = sorted((t for t in _run(40, blobs) if len(t.points) > 5), key=lambda t: t.points[0][1])
    assert len(tracks) == 2
    assert all(abs(x - tracks[0].points[0][1]) < 25 for _, x, _ in tracks[0].points)
    assert all(abs(x - tracks[1].points[0][1]) < 25 for _, x, _ in tracks[1].points)


def test_a_track_missing_too_long_ends() -> None:
    def blobs(frame: int) -> list[Blob]:
        return [_blob(*_falling(frame, 100, 1.0))] if frame < 10 or frame > 30 else []

    tracks = [t for t in _run(40, blobs) if len(t.points) > 1]
    assert len(tracks) == 2


def test_far_away_noise_does_not_join_a_track() -> None:
    def blobs(frame: int) -> list[Blob]:
        noise = [_blob(400 - frame * 7, 300)] if frame % 3 == 0 else []
        return [_blob(*_falling(frame, 100, 1.0)), *noise]

    longest = max(_run(30, blobs), key=lambda t: len(t.points))
    assert len(longest.points) == 30 and all(x < 200 for _, x, _ in longest.points)


def test_a_cluttered_frame_extends_tracks_but_starts_none() -> None:
    tracker = Tracker(lambda x, y: GRAVITY)
    for frame in range(6):
        tracker.update(frame, [_blob(*_falling(frame, 100, 1.0))])
    assert [len(t.points) for t in tracker.tracks] == [6]
    assert tracker.watch(6) and abs(tracker.watch(6)[0][0] - 106) < 1
    tracker.update(6, [_blob(*_falling(6, 100, 1.0)), _blob(300, 40), _blob(20, 200)], spawn=False)
    assert [len(t.points) for t in tracker.tracks] == [7]
