"""``edge bench …``: benchmarks that print one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.cli.common import CliError
from edge.daemon.logs import setup_logging


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="run a benchmark and print its figures")
    inner = parser.add_subparsers(dest="bench_command", metavar="WHAT", required=True)
    store = inner.add_parser("store", help="event store ingest: events/s, commit latency, bytes/event")
    store.add_argument("--events", type=int, default=50_000)
    store.add_argument("--producers", type=int, default=32)
    store.add_argument("--max-batch", type=int, default=256)
    store.add_argument("--dir", type=Path, help="where to put the scratch database (default: system temp)")
    store.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    store.set_defaults(handler=bench_store)
    io = inner.add_parser("io", help="Modbus path against a real peer: SOS -> event, grant -> relay (ms)")
    io.add_argument("--presses", type=int, default=200)
    io.add_argument("--grants", type=int, default=200)
    io.add_argument("--poll-ms", type=int, default=50)
    io.add_argument("--baud", type=int, default=19200, help="RS-485 line speed to emulate (0: none)")
    io.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    io.set_defaults(handler=bench_io)
    uplink = inner.add_parser("uplink", help="drain a backlog to a loopback district; alarm latency; memory")
    uplink.add_argument("--events", type=int, default=100_000)
    uplink.add_argument("--alarm-every", type=float, default=0.05, help="seconds between SOS presses")
    uplink.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    uplink.set_defaults(handler=bench_uplink)
    broadcast = inner.add_parser("broadcast", help="life-safety announcement cutting into a notice (ms)")
    broadcast.add_argument("--runs", type=int, default=10)
    broadcast.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    broadcast.set_defaults(handler=bench_broadcast)
    faces = inner.add_parser("faces", help="face recognition on one 640x480 frame: detect, encode, match, end to end")
    faces.add_argument("--gallery", type=int, default=50_000, help="templates in the gallery (default 50000)")
    faces.add_argument("--frames", type=int, default=60, help="frames timed per stage (default 60)")
    faces.add_argument("--detect-width", type=int, help="override [faces] detect_width (default 640)")
    faces.add_argument("--upsample", type=int, choices=(0, 1), help="override [faces] upsample (default 0)")
    faces.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    faces.set_defaults(handler=bench_faces)
    falls = inner.add_parser("falls", help="thrown-object detection on generated façade footage: recall, false alarms")
    falls.add_argument("--throws", type=int, default=120, help="throw scenes, 5 s each (default 120)")
    falls.add_argument("--distractor-seconds", type=float, default=60.0,
                       help="per distractor scene, 20 scenes (default 60: 20 min of footage)")
    falls.add_argument("--size", default="1280x720", help="frame size WxH (default 1280x720)")
    falls.add_argument("--seed", type=int, default=1)
    falls.add_argument("--distractors", help="comma-separated: run only the distractor scenes of these "
                       "(birds, leaves, rain, snow, insect, laundry, lights, ir_switch, shake, night_noise)")
    falls.add_argument("--json", action="store_true", help="print JSON (the only format; kept for scripts)")
    falls.set_defaults(handler=bench_falls)


def bench_store(args: argparse.Namespace) -> int:
    from edge.bench import store

    if args.events < args.producers or args.producers < 1:
        raise CliError("--events must be at least --producers, and --producers at least 1")
    print(json.dumps(store.run(args.events, args.producers, args.max_batch, args.dir)))
    return 0


def bench_io(args: argparse.Namespace) -> int:
    from edge.bench import io

    setup_logging("warning", "json", sys.stderr)  # stdout carries the JSON figures only
    if min(args.presses, args.grants) < 1:
        raise CliError("--presses and --grants must be at least 1")
    print(json.dumps(io.run(args.presses, args.grants, args.poll_ms, args.baud or None)))
    return 0


def bench_uplink(args: argparse.Namespace) -> int:
    from edge.bench import uplink

    if args.events < 1:
        raise CliError("--events must be at least 1")
    setup_logging("warning", "json", sys.stderr)
    print(json.dumps(uplink.run(args.events, args.alarm_every)))
    return 0


def bench_broadcast(args: argparse.Namespace) -> int:
    from edge.bench import broadcast

    if args.runs < 1:
        raise CliError("--runs must be at least 1")
    setup_logging("warning", "json", sys.stderr)
    print(json.dumps(broadcast.run(args.runs)))
    return 0


def bench_faces(args: argparse.Namespace) -> int:
    import tempfile

    from edge.bench import faces

    if args.gallery < 1 or args.frames < 1:
        raise CliError("--gallery and --frames must be at least 1")
    setup_logging("warning", "json", sys.stderr)
    with tempfile.TemporaryDirectory(prefix="edge-bench-faces-") as scratch:
        overrides = {k: v for k, v in (("detect_width", args.detect_width), ("upsample", args.upsample)) if v is not None}
        print(json.dumps(faces.run(args.gallery, args.frames, Path(scratch), overrides)))
    return 0


def bench_falls(args: argparse.Namespace) -> int:
    from edge.bench import falls

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise CliError(f"--size must be WIDTHxHEIGHT, not {args.size!r}") from None
    if args.throws < 0 or args.distractor_seconds <= 0 or min(width, height) < 64:
        raise CliError("--throws must be 0 or more, --distractor-seconds positive, --size at least 64x64")
    only = None
    if args.distractors is not None:
        only = frozenset(name.strip() for name in args.distractors.split(",") if name.strip())
        known = {name for names in falls.DISTRACTOR_SETS for name in names}
        if not only or only - known:
            raise CliError(f"--distractors must name some of {', '.join(sorted(known))}; "
                           f"unknown: {', '.join(sorted(only - known)) or '(none given)'}")
    try:
        result = falls.run(args.throws, args.distractor_seconds, (width, height), args.seed, only)
    except falls.BenchUnavailable as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(result))
    return 0
