"""``edge bench falls``: the thrown-object detector on generated façade footage, scored against ground truth.

Scenes come from the generator in ``tests/scenes`` (imported lazily: it is
part of a source checkout, not of an installed box). Each scene is written as
an MPEG-4 file and read back through :func:`analyze_video`, the code path of
``edge falls analyze``.

* Throw scenes: one throw each, from a random floor and window, 1-10 px, day
  and night, some with a light distractor in the background. ``recall`` counts
  the target class (>= 3 px, >= 2 floors of fall); ``recall_all`` every throw.
* Distractor-only scenes: each distractor, by day and by night, no throw;
  every event there is a false alarm, scaled to camera-hours.
* ``ms_per_frame_*``: the detector's own work per frame on one core
  (decoding reported apart).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.vision.falls.analyze import analyze_video
from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.detector import FallEvent

DISTRACTOR_SETS = (("birds",), ("leaves",), ("rain",), ("snow",), ("insect",), ("laundry",), ("lights",),
                   ("ir_switch",), ("shake",), ("night_noise",))
_BACKGROUND = ((), (), ("birds",), ("laundry",), ("lights",), ("shake",))


class BenchUnavailable(RuntimeError):
    """The scene generator is not importable (no ``tests/`` beside the package)."""


def _scenes():  # type: ignore[no-untyped-def]
    root = Path(__file__).resolve().parents[2]
    if (root / "tests" / "scenes").is_dir() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        from tests.scenes import render
    except ImportError as exc:
        raise BenchUnavailable(
            f"the scene generator (tests/scenes) is needed and is not importable here ({exc}); "
            "run the bench from a source checkout"
        ) from None
    return render


def _analyze(render: Any, spec: Any, directory: Path, timings: dict[str, list[float]]) -> tuple[list, list]:
    scene = render.build_scene(spec)
    video = render.write_video(scene, directory / "scene.mp4")
    calibration = parse_calibration(scene.calibration())
    events: list[FallEvent] = []
    summary = analyze_video(video, calibration, events.append)
    timings["analysis"] += summary.analysis_ms
    timings["decode"] += summary.decode_ms
    return events, scene.truth()


def _match(events: list[FallEvent], truth: list[dict], fps: float) -> list[tuple[dict, FallEvent | None]]:
    pairs = []
    free = list(events)
    for throw in truth:
        best = None
        for event in free:
            overlaps = event.start_frame <= throw["end_frame"] and event.end_frame >= throw["release_frame"]
            if overlaps and abs(event.release_frame - throw["release_frame"]) <= fps:
                best = event
                break
        if best is not None:
            free.remove(best)
        pairs.append((throw, best))
    return pairs


def _throw_figures(pairs: list[tuple[dict, FallEvent | None]], events: int) -> dict[str, Any]:
    target = [(t, e) for t, e in pairs if t["size_px"] >= 3.0 and t["floor"] >= 3]
    found = [(t, e) for t, e in pairs if e is not None]
    matched = len(found)
    return {
        "throws": len(pairs),
        "throws_target_class": len(target),
        "recall": _share(sum(e is not None for _, e in target), len(target)),
        "recall_all": _share(matched, len(pairs)),
        "precision": _share(matched, events),
        "floor_exact": _share(sum(e.floor == t["floor"] for t, e in found), matched),
        "floor_within_1": _share(sum(abs(e.floor - t["floor"]) <= 1 for t, e in found), matched),
        "floor_or_alt": _share(sum(t["floor"] in (e.floor, e.floor_alt) for t, e in found), matched),
        "release_frame_error_p50": round(float(np.median(
            [abs(e.release_frame - t["release_frame"]) for t, e in found])), 2) if found else None,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def run(throw_scenes: int = 60, distractor_seconds: float = 30.0, size: tuple[int, int] = (1280, 720),
        seed: int = 1) -> dict[str, Any]:
    render = _scenes()
    cv2.setNumThreads(1)
    started = time.monotonic()
    timings: dict[str, list[float]] = {"analysis": [], "decode": []}
    pairs: list = []
    throw_events = 0
    false_alarms: dict[str, int] = {}
    distractor_frames = 0
    with tempfile.TemporaryDirectory(prefix="edge-bench-falls-") as tmp:
        directory = Path(tmp)
        for k in range(throw_scenes):
            spec = render.SceneSpec(size=size, seconds=5.0, night=k % 3 == 2, floors=8 + (k * 7) % 13,
                                    throws=1, distractors=_BACKGROUND[k % len(_BACKGROUND)], seed=seed * 1000 + k)
            events, truth = _analyze(render, spec, directory, timings)
            throw_events += len(events)
            pairs += _match(events, truth, spec.fps)
        for k, names in enumerate(DISTRACTOR_SETS):
            for night in (False, True):
                spec = render.SceneSpec(size=size, seconds=distractor_seconds, night=night, floors=10 + k % 8,
                                        throws=0, distractors=names, seed=seed * 2000 + 2 * k + night)
                events, _ = _analyze(render, spec, directory, timings)
                key = "+".join(names) + ("/night" if night else "/day")
                false_alarms[key] = len(events)
                distractor_frames += spec.frames
    hours = distractor_frames / 25.0 / 3600
    analysis = timings["analysis"]
    result = _throw_figures(pairs, throw_events)
    result.update({
        "false_alarms": sum(false_alarms.values()),
        "false_alarms_per_camera_hour": round(sum(false_alarms.values()) / hours, 2),
        "false_alarms_by_scene": {k: v for k, v in false_alarms.items() if v},
        "distractor_hours": round(hours, 3),
        "ms_per_frame_p50": round(float(np.percentile(analysis, 50)), 2),
        "ms_per_frame_p95": round(float(np.percentile(analysis, 95)), 2),
        "ms_per_frame_max": round(float(np.max(analysis)), 2),
        "decode_ms_per_frame_p95": round(float(np.percentile(timings["decode"], 95)), 2),
        "frames": len(analysis),
        "frame_size": list(size),
        "fps": 25,
        "seconds": round(time.monotonic() - started, 1),
    })
    return result
