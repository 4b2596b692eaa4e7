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

import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.vision.falls.analyze import analyze_video
from edge.vision.falls.calibration import parse_calibration
from edge.vision.falls.detector import FallConfig, FallEvent

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
    watched = calibration.region_mask(spec.size, FallConfig().facade_margin_px)
    truth = scene.truth()
    for throw in truth:  # how much of its fall the detector could see at all (masks: a tree, a lamp)
        inside = [watched[min(int(y), spec.size[1] - 1), min(int(x), spec.size[0] - 1)] > 0
                  for x, y in throw["path"] if x >= 0 and y >= 0]
        throw["watched_share"] = round(sum(inside) / max(len(inside), 1), 2)
    return events, truth


def _match(events: list[FallEvent], truth: list[dict], size: tuple[int, int]) -> list[tuple[dict, FallEvent | None]]:
    """Each throw with the event that followed it, if any: most of the event's track points lie on
    the throw's true path (so an event found late, with its release guessed wrong, still counts as
    found, and its floor is scored)."""
    tolerance = max(8.0, 0.01 * size[0])
    pairs = []
    free = list(events)
    for throw in truth:
        best = next((e for e in free if _on_path(e, throw, tolerance) >= 0.6), None)
        if best is not None:
            free.remove(best)
        pairs.append((throw, best))
    return pairs


def _on_path(event: FallEvent, throw: dict, tolerance: float) -> float:
    """Share of the event's track points within ``tolerance`` of the throw at the same frame."""
    path = throw["path"]
    close = 0
    for frame, x, y in event.track:
        step = frame - throw["release_frame"]
        if 0 <= step < len(path) and math.hypot(x - path[step][0], y - path[step][1]) <= tolerance:
            close += 1
    return close / max(len(event.track), 1)


def _throw_figures(pairs: list[tuple[dict, FallEvent | None]], events: int) -> dict[str, Any]:
    target = [(t, e) for t, e in pairs if t["size_px"] >= 3.0 and t["floor"] >= 3]
    watched = [(t, e) for t, e in target if t["watched_share"] >= 0.5]
    found = [(t, e) for t, e in pairs if e is not None]
    matched = len(found)
    return {
        "throws": len(pairs),
        "throws_target_class": len(target),
        "recall": _share(sum(e is not None for _, e in target), len(target)),
        "recall_all": _share(matched, len(pairs)),
        # the target class less throws that fell mostly behind the calibration's masks
        "recall_watched": _share(sum(e is not None for _, e in watched), len(watched)),
        "precision": _share(matched, events),
        "floor_exact": _share(sum(e.floor == t["floor"] for t, e in found), matched),
        "floor_within_1": _share(sum(abs(e.floor - t["floor"]) <= 1 for t, e in found), matched),
        "floor_or_alt": _share(sum(t["floor"] in (e.floor, e.floor_alt) for t, e in found), matched),
        "release_frame_error_p50": round(float(np.median(
            [abs(e.release_frame - t["release_frame"]) for t, e in found])), 2) if found else None,
    }


def poisson_upper_95(count: int) -> float:
    """The one-sided 95 % upper confidence bound of a Poisson mean, ``count`` events having been
    seen (3.0 for none: zero false alarms in 3 h only shows the rate is below 1 an hour)."""
    def tail(mean: float) -> float:  # P(X <= count)
        term = total = math.exp(-mean)
        for k in range(1, count + 1):
            term *= mean / k
            total += term
        return total

    low, high = float(count), float(count) + 10.0 + 5.0 * math.sqrt(count + 1)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if tail(middle) > 0.05 else (low, middle)
    return round(high, 3)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def run(throw_scenes: int = 120, distractor_seconds: float = 60.0, size: tuple[int, int] = (1280, 720),
        seed: int = 1, distractors: frozenset[str] | None = None) -> dict[str, Any]:
    """Throw scenes, then distractor-only scenes (day and night) of each set in
    :data:`DISTRACTOR_SETS`, or only those naming one of ``distractors`` (a scene
    is the same whichever others run beside it)."""
    render = _scenes()
    cv2.setNumThreads(1)
    started = time.monotonic()
    timings: dict[str, list[float]] = {"analysis": [], "decode": []}
    pairs: list = []
    missed: list[dict[str, Any]] = []
    throw_events = 0
    false_alarms: dict[str, int] = {}  # every distractor scene run, alarms or not
    distractor_frames = 0
    with tempfile.TemporaryDirectory(prefix="edge-bench-falls-") as tmp:
        directory = Path(tmp)
        for k in range(throw_scenes):
            spec = render.SceneSpec(size=size, seconds=5.0, night=k % 3 == 2, floors=8 + (k * 7) % 13,
                                    throws=1, distractors=_BACKGROUND[k % len(_BACKGROUND)], seed=seed * 1000 + k)
            events, truth = _analyze(render, spec, directory, timings)
            throw_events += len(events)
            found = _match(events, truth, size)
            pairs += found
            missed += [{"scene": k, "floor": t["floor"], "size_px": t["size_px"], "contrast": t["contrast"],
                        "night": spec.night, "background": list(spec.distractors),
                        "watched_share": t["watched_share"]}
                       for t, e in found if e is None and t["size_px"] >= 3.0 and t["floor"] >= 3]
        for k, names in enumerate(DISTRACTOR_SETS):
            if distractors is not None and not distractors & set(names):
                continue
            for night in (False, True):
                spec = render.SceneSpec(size=size, seconds=distractor_seconds, night=night, floors=10 + k % 8,
                                        throws=0, distractors=names, seed=seed * 2000 + 2 * k + night)
                events, _ = _analyze(render, spec, directory, timings)
                key = "+".join(names) + ("/night" if night else "/day")
                false_alarms[key] = len(events)
                distractor_frames += spec.frames
    hours = max(distractor_frames, 1) / 25.0 / 3600
    analysis = timings["analysis"]
    result = _throw_figures(pairs, throw_events)
    result.update({
        "false_alarms": sum(false_alarms.values()),
        "false_alarms_per_camera_hour": round(sum(false_alarms.values()) / hours, 2),
        # what the footage can prove: the 95 % upper bound of the rate, scaled to a day
        "false_alarms_per_camera_day_upper_95": round(poisson_upper_95(sum(false_alarms.values())) / hours * 24, 1),
        "false_alarms_by_scene": {k: v for k, v in false_alarms.items() if v},
        "distractor_hours": round(hours, 3),
        "distractor_scenes": sorted(false_alarms),
        "missed_target_class": missed,
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
