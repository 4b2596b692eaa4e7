"""``edge run``: the daemon in the foreground (systemd runs it this way too)."""

from __future__ import annotations

import argparse
import asyncio

from edge.cli.common import CliError, add_config_option, load
from edge.daemon.logs import setup_logging
from edge.store.database import StoreError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run the daemon in the foreground")
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config.logging.level, config.logging.format)
    try:
        asyncio.run(_main(config))
    except StoreError as exc:
        raise CliError(f"event store: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot start: {exc}") from None
    return 0


async def _main(config) -> None:  # type: ignore[no-untyped-def]
    from edge.daemon.app import Daemon, install_signal_handlers

    stop = asyncio.Event()
    install_signal_handlers(stop)
    await Daemon(config).run(stop)
