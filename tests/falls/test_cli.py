"""``edge falls analyze`` on videos it has never seen: the JSON line format, exactly; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli import main
from tests.scenes.render import SceneSpec, write_scene

EVENT_KEYS = {"type": str, "start_frame": int, "end_frame": int, "release_frame": float, "origin": list,
              "floor": int, "floor_alt": (int, type(None)), "confidence": float, "track": list}
SUMMARY_KEYS = {"type": str, "frames": int, "ms_per_frame_p50": float, "ms_per_frame_p95": float}


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _check(line: dict, keys: dict) -> None:
    assert set(line) == set(keys)
    for key, kind in keys.items():
        assert isinstance(line[key], kind) and not isinstance(line[key], bool), (key, line[key])


def test_a_throw_prints_events_then_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = SceneSpec(size=(640, 360), seconds=4, floors=10, throw_floor=7, throw_size_px=8, seed=21)
    video, calibration, truth = write_scene(spec, tmp_path)
    evidence = tmp_path / "media"
    assert main(["falls", "analyze", str(video), "--calibration", str(calibration), "--json",
                 "--evidence", str(evidence)]) == 0
    lines = _lines(capsys)
    events, summary = lines[:-1], lines[-1]
    assert len(events) == 1
    _check(events[0], EVENT_KEYS)
    event = events[0]
    assert event["type"] == "fall.detected" and event["floor"] == truth[0]["floor"] == 7
    assert all(len(p) == 2 and all(isinstance(v, float) for v in p) for p in [event["origin"]])
    assert all(isinstance(f, int) and isinstance(x, float) and isinstance(y, float) for f, x, y in event["track"])
    assert event["start_frame"] <= event["end_frame"] < summary["frames"]
    _check(summary, SUMMARY_KEYS)
    assert summary["type"] == "summary" and summary["frames"] == 100
    assert sorted(p.suffix for p in evidence.iterdir()) == [".jpg", ".mp4"]


def test_a_video_without_a_throw_prints_only_the_summary(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    spec = SceneSpec(size=(640, 360), seconds=3, throws=0, distractors=("birds", "lights"), seed=22)
    video, calibration, _ = write_scene(spec, tmp_path)
    assert main(["falls", "analyze", str(video), "--calibration", str(calibration), "--json"]) == 0
    lines = _lines(capsys)
    assert len(lines) == 1
    _check(lines[0], SUMMARY_KEYS)


def test_a_video_that_is_not_a_facade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "noise.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (200, 150))
    rng = np.random.default_rng(1)
    for k in range(40):
        frame = rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)
        cv2.circle(frame, (10 + 4 * k, 20 + 3 * k), 12, (0, 0, 255), -1)
        writer.write(frame)
    writer.release()
    spec = SceneSpec(size=(640, 360), seconds=1, throws=0, seed=23)
    _, calibration, _ = write_scene(spec, tmp_path, "other")  # a calibration for another camera size
    assert main(["falls", "analyze", str(video), "--calibration", str(calibration), "--json"]) == 0
    lines = _lines(capsys)
    assert [line["type"] for line in lines] == ["summary"] and lines[0]["frames"] == 40


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cal.json"
    bad.write_text('{"frame_size": [10, 10]}')
    assert main(["falls", "analyze", str(tmp_path / "x.mp4"), "--calibration", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing key(s): facade, floor_lines" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"frame_size": [10, 10], "facade": [[0, 0], [10, 0], [10, 10]],
                                "floor_lines": [[[0, 8], [10, 8]], [[0, 4], [10, 4]]]}))
    assert main(["falls", "analyze", str(tmp_path / "x.mp4"), "--calibration", str(good)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "video not found" in err
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
    assert main(["falls", "analyze", str(tmp_path / "junk.mp4"), "--calibration", str(good)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
