"""What the sub-commands share: finding the config, turning errors into one line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from edge.config.loader import ConfigError, load_config
from edge.config.model import EdgeConfig

#: where ``--config`` is looked for when not given, in order
DEFAULT_CONFIGS = (Path("/etc/community-edge/edge.toml"), Path("config/demo.toml"))


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", "-c", type=Path, metavar="PATH",
        help="config file (default: $EDGE_CONFIG, else /etc/community-edge/edge.toml, else config/demo.toml)",
    )


def config_path(args: argparse.Namespace) -> Path:
    if getattr(args, "config", None):
        return args.config
    if os.environ.get("EDGE_CONFIG"):
        return Path(os.environ["EDGE_CONFIG"])
    for candidate in DEFAULT_CONFIGS:
        if candidate.exists():
            return candidate
    raise CliError("no config file: pass --config PATH or set EDGE_CONFIG")


def load(args: argparse.Namespace) -> EdgeConfig:
    try:
        return load_config(config_path(args))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
