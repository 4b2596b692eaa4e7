"""``edge config validate PATH`` and ``edge config schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.config.loader import ConfigError, load_config
from edge.config.model import EdgeConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="check a config file or print its schema")
    inner = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    validate = inner.add_parser("validate", help="check a config file; exit 1 listing every problem")
    validate.add_argument("path", type=Path)
    validate.add_argument("--quiet", "-q", action="store_true", help="print nothing when the file is valid")
    validate.set_defaults(handler=validate_config)
    schema = inner.add_parser("schema", help="print the JSON Schema of the config")
    schema.set_defaults(handler=print_schema)


def validate_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{args.path}: ok (box {config.site.box_id}, {len(config.devices)} devices)")
    return 0


def print_schema(_args: argparse.Namespace) -> int:
    schema = EdgeConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "community-edge configuration"
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
