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
