"""Fixtures of the MQTT transport tests: a real mosquitto per test, and a link to it that can fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mqtt.broker import FlakyLink, MosquittoBroker


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    async with MosquittoBroker(tmp_path / "broker") as broker:
        yield broker


@pytest.fixture
async def link(broker: MosquittoBroker) -> AsyncIterator[FlakyLink]:
    async with FlakyLink(broker.port) as link:
        yield link
