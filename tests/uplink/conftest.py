"""What the uplink tests share: the box token in the environment, and their site (tests/sites/uplink.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config.model import EdgeConfig
from tests.sites import load_site

TOKEN = "box-token"


@pytest.fixture(autouse=True)
def box_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TEST_BOX_TOKEN", TOKEN)


def uplink_values(box: str, data: Path, *, console: bool = False, backoff: tuple[float, float] = (0.05, 0.3)) -> dict:
    """The placeholders of tests/sites/uplink.toml: a box, its data dir, the console on or off, a back-off."""
    return {"box": box, "data": data, "console": str(console).lower(),
            "backoff_initial": backoff[0], "backoff_max": backoff[1]}


def uplink_site(box: str, data: Path, extra: str, *, console: bool = False,
                backoff: tuple[float, float] = (0.05, 0.3)) -> EdgeConfig:
    """The uplink site for box ``box`` on data dir ``data``, with ``extra`` TOML in its [uplink]."""
    return load_site("uplink", extra=extra, **uplink_values(box, data, console=console, backoff=backoff))
