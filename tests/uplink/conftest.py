"""What the uplink tests share: the box token in the environment, a site's [uplink] head, a running daemon."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from edge.daemon.app import Daemon
from tests.fakes import wait_until

TOKEN = "box-token"

#: a site's head with an [uplink] that retries fast; the caller adds [uplink.*] tables and devices
UPLINK_SITE = """
[site]
box_id = "{box}"
[store]
data_dir = "{data}"
[console]
enabled = false
[uplink]
token = {{ env = "EDGE_TEST_BOX_TOKEN" }}
backoff_initial_s = 0.05
backoff_max_s = 0.3
"""


@pytest.fixture(autouse=True)
def box_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TEST_BOX_TOKEN", TOKEN)


async def run_daemon(daemon: Daemon, body: Callable[[], Awaitable[None]]) -> None:
    """Run ``daemon`` while ``body`` runs, then stop it cleanly."""
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(daemon.run(stop))
        await wait_until(lambda: daemon.writer.alive and daemon.writer.last_seq >= 1, 5)
        try:
            await body()
        finally:
            stop.set()
