"""``edge falls analyze VIDEO --calibration CAL.json``: thrown-object detection on a recorded video.

The same detector the daemon runs, frame by frame. With ``--json`` each event
is one JSON line (``fall.detected``), then one ``summary`` line; without it, a
line of text per event. ``--evidence DIR`` also writes each event's clip and
annotated picture.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.cli.common import CliError
from edge.vision.falls.analyze import VideoError, analyze_video, open_video
from edge.vision.falls.calibration import CalibrationError, FloorCalibration, load_calibration
from edge.vision.falls.detector import FallEvent


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("falls", help="thrown-object (高空抛物) detection")
    inner = parser.add_subparsers(dest="falls_command", metavar="ACTION", required=True)
    analyze = inner.add_parser("analyze", help="detect falls in a video file")
    analyze.add_argument("video", type=Path, metavar="VIDEO")
    analyze.add_argument("--calibration", type=Path, required=True, metavar="CAL.json",
                         help="the camera's calibration (façade, masks, floor lines)")
    analyze.add_argument("--json", action="store_true", help="one JSON object per line")
    analyze.add_argument("--evidence", type=Path, metavar="DIR", help="write each event's clip and picture here")
    analyze.set_defaults(handler=analyze_cmd)


def analyze_cmd(args: argparse.Namespace) -> int:
    try:
        calibration = load_calibration(args.calibration)
    except CalibrationError as exc:
        raise CliError(str(exc)) from None
    events: list[FallEvent] = []

    def report(event: FallEvent) -> None:
        events.append(event)
        if args.json:
            print(json.dumps(event.to_json()), flush=True)
        else:
            alt = f" (or {event.floor_alt})" if event.floor_alt is not None else ""
            print(f"fall: frames {event.start_frame}-{event.end_frame}, released ~{event.release_frame:.1f}"
                  f" at {event.origin[0]:.0f},{event.origin[1]:.0f}, floor {event.floor}{alt},"
                  f" confidence {event.confidence:.2f}", flush=True)

    try:
        summary = analyze_video(args.video, calibration, report)
    except VideoError as exc:
        raise CliError(str(exc)) from None
    if args.evidence and events:
        _write_evidence(args.video, calibration, events, args.evidence)
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(f"{len(events)} event(s) in {summary.frames} frames; "
              f"{summary.percentile(50)} ms/frame p50, {summary.percentile(95)} ms p95")
    return 0


def _write_evidence(video: Path, calibration: FloorCalibration, events: list[FallEvent], directory: Path,
                    before_s: float = 2.0, after_s: float = 2.0) -> None:
    """Re-read the video around each event (a file allows it; the daemon uses its frame ring)."""
    from edge.vision.falls.evidence import write_evidence

    capture, fps, _ = open_video(video)
    frames = []
    try:
        for index in range(max(e.end_frame for e in events) + round(after_s * fps) + 1):
            ok, frame = capture.read()
            if not ok:
                break
            frames.append((index, frame))
    finally:
        capture.release()
    for n, event in enumerate(events, 1):
        first, last = event.release_frame - before_s * fps, event.end_frame + after_s * fps
        window = [(i, f) for i, f in frames if first <= i <= last]
        try:
            write_evidence(window, event, calibration.frame_size, fps, directory, f"{video.stem}-fall{n}")
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot write evidence: {exc}") from None
