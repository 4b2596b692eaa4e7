"""``edge bench …``: benchmarks that print one JSON object."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.cli.common import CliError


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


def bench_store(args: argparse.Namespace) -> int:
    from edge.bench import store

    if args.events < args.producers or args.producers < 1:
        raise CliError("--events must be at least --producers, and --producers at least 1")
    print(json.dumps(store.run(args.events, args.producers, args.max_batch, args.dir)))
    return 0
