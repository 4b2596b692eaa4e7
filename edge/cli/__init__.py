"""The ``edge`` command line: run the daemon, check config, read events, ask for status, benchmark.

Each sub-command lives in its own module with ``add_parser(subparsers)``; its
handler returns an exit code. A user mistake raises :class:`CliError` and is
printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from edge import __version__
from edge.cli import (
    bench_cmd,
    config_cmd,
    console_cmd,
    events_cmd,
    faces_cmd,
    falls_cmd,
    run_cmd,
    say_cmd,
    status_cmd,
)
from edge.cli.common import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge", description="community-edge: the neighbourhood box's daemon.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_cmd.add_parser(sub)
    config_cmd.add_parser(sub)
    events_cmd.add_parser(sub)
    status_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    falls_cmd.add_parser(sub)
    console_cmd.add_parser(sub)
    say_cmd.add_parser(sub)
    faces_cmd.add_parser(sub)
    version = sub.add_parser("version", help="print the version")
    version.set_defaults(handler=lambda _args: print(f"community-edge {__version__}") or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"edge: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `edge events tail | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
