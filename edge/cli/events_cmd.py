"""``edge events tail``: the latest events from the store, optionally following new ones.

Reads the database read-only beside the running daemon (WAL allows it).
``edge events types`` (the catalogue) lives in :mod:`.event_types_cmd`.
"""

from __future__ import annotations

import argparse
import json
import time

from edge.cli import event_types_cmd
from edge.cli.common import CliError, add_config_option, load
from edge.events.model import Event, utc_rfc3339
from edge.store import EventReader, StoreError

_PRIORITY = {0: "P0 life", 1: "P1 security", 2: "P2 status", 3: "P3 routine"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("events", help="read the event store; list the event types")
    inner = parser.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    tail = inner.add_parser("tail", help="print the latest events")
    add_config_option(tail)
    tail.add_argument("-n", "--lines", type=int, default=20, help="how many past events (default 20)")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--type", "-t", action="append", dest="types", metavar="T", help="only this type (repeatable)")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument("--poll", type=float, default=0.2, help=argparse.SUPPRESS)
    tail.add_argument("--max-polls", type=int, default=0, help=argparse.SUPPRESS)
    tail.set_defaults(handler=tail_events)
    event_types_cmd.add_parser(inner)


def tail_events(args: argparse.Namespace) -> int:
    config = load(args)
    if args.lines < 0:
        raise CliError("--lines must be 0 or more")
    try:
        reader = EventReader(config.store.db_path)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    with reader:
        events = reader.latest(args.lines, types=args.types) if args.lines else []
        for event in events:
            _print(event, args.json)
        if args.follow:
            _follow(reader, events[-1].seq if events else reader.last_seq(), args)
    return 0


def _follow(reader: EventReader, seq: int, args: argparse.Namespace) -> None:
    polls = 0
    while not args.max_polls or polls < args.max_polls:
        batch = reader.after(seq, limit=500, types=args.types)
        for event in batch:
            _print(event, args.json)
        if batch:
            seq = batch[-1].seq
        elif args.types:
            seq = max(seq, reader.last_seq())
        polls += 1
        if not batch:
            time.sleep(args.poll)


def _print(event: Event, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_wire(), ensure_ascii=False), flush=True)
        return
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":")) if event.data else ""
    media = f" +{len(event.media)} media" if event.media else ""
    clock = "" if event.clock_synced else " (clock unsynced)"
    print(
        f"{event.seq:>7}  {utc_rfc3339(event.occurred_at)}{clock}  {_PRIORITY.get(event.priority, event.priority):<11}"
        f"  {event.type:<20} {event.device_id or '-':<16} {data}{media}",
        flush=True,
    )
