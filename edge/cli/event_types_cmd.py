"""``edge events types``: the event catalogue (every type the box records), as a table, JSON lines or Markdown.

``--json`` prints one object per type (type, class, priority, priorities,
priority_rule, meaning, payload_schema); ``--markdown`` prints docs/events.md.
No config is needed: the catalogue is the code's.
"""

from __future__ import annotations

import argparse
import json

from edge.events.catalogue import catalogue
from edge.events.reference import markdown, text_table


def add_parser(inner: argparse._SubParsersAction) -> None:
    types = inner.add_parser("types", help="list every event type: priority, payload, meaning")
    style = types.add_mutually_exclusive_group()
    style.add_argument("--json", action="store_true", help="one JSON object per line, with the payload's JSON Schema")
    style.add_argument("--markdown", action="store_true", help="docs/events.md, as generated from the catalogue")
    types.set_defaults(handler=list_types)


def list_types(args: argparse.Namespace) -> int:
    if args.json:
        for entry in catalogue():
            print(json.dumps(entry.to_json(), ensure_ascii=False), flush=True)
    elif args.markdown:
        print(markdown(), end="")
    else:
        print(text_table(), end="")
    return 0
