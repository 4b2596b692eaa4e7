"""Fixtures for the downlink tests: a real district server, a real store writer, a poller between them."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.retry import Backoff
from edge.bench.district import DistrictServer
from edge.downlink import ChangesClient, DownlinkCache, DownlinkPoller
from edge.store.writer import StoreWriter
from edge.uplink.config import HttpsUplinkConfig
from tests.downlink.helpers import BOX, TOKEN, RecordedEvents


@pytest.fixture
async def district() -> AsyncIterator[DistrictServer]:
    async with DistrictServer(tokens=[TOKEN], page_limit=2) as server:
        yield server


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[StoreWriter]:
    async with StoreWriter(tmp_path / "events.db") as store:
        yield store


@pytest.fixture
def recorded(writer: StoreWriter) -> RecordedEvents:
    return RecordedEvents(writer)


@pytest.fixture
async def client(district: DistrictServer) -> AsyncIterator[ChangesClient]:
    changes = ChangesClient(HttpsUplinkConfig(base_url=district.base_url, timeout_s=2), TOKEN, BOX,
                            district.public_key_b64)
    yield changes
    await changes.close()


@pytest.fixture
def backoff() -> Backoff:
    return Backoff(0.02, 0.1, random.Random(7))


@pytest.fixture
def poller(client: ChangesClient, writer: StoreWriter, recorded: RecordedEvents, backoff: Backoff) -> DownlinkPoller:
    return DownlinkPoller(client, DownlinkCache(writer), recorded, poll_s=3600, backoff=backoff)
