"""``edge console reset-password``: a new console password when the old one is lost or its file is corrupt."""

from __future__ import annotations

import argparse

from edge.api.credentials import ConsoleCredentials
from edge.cli.common import add_config_option, load


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("console", help="manage the local console's login")
    inner = parser.add_subparsers(dest="console_command", metavar="ACTION", required=True)
    reset = inner.add_parser("reset-password", help="generate a new admin password (the running daemon uses it at once)")
    add_config_option(reset)
    reset.set_defaults(handler=reset_password)


def reset_password(args: argparse.Namespace) -> int:
    credentials = ConsoleCredentials(load(args).store.data_dir.resolve() / "secrets")
    credentials.reset()
    print(f"new console password for user admin written to {credentials.initial_password_file} (mode 0600)")
    return 0
