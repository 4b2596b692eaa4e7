"""Shared test fixtures; above all, every test must clean up after itself.

``verify_cleanup`` (every test) fails a test that leaves threads running, and
``no_leaked_tasks`` (every async test) fails one that leaves asyncio tasks
pending — the habit zigpy's test suite enforces.

A test runs the daemon in-process only through ``tests.harness.running_daemon``, on a
site from ``tests/sites/`` (``tests.sites.load_site``).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.events.bus import EventBus
from edge.events.catalogue import event_class, payload_model
from edge.events.model import Event
from edge.recording import EventRecorder
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.timesync import ClockSync
from tests.fakes import FakeClock


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and inspect.iscoroutinefunction(function):
            item.fixturenames.insert(0, "no_leaked_tasks")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def verify_cleanup():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        leaked = [
            t for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture
async def no_leaked_tasks():
    yield
    current = asyncio.current_task()
    for _ in range(5):  # let cancelled tasks finish unwinding
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not pending:
            return
        await asyncio.sleep(0.01)
    names = [t.get_name() + ":" + repr(t.get_coro()) for t in pending]
    for task in pending:
        task.cancel()
    pytest.fail(f"test left asyncio tasks pending: {names}")


@pytest.fixture
async def recorder(tmp_path: Path) -> AsyncIterator[EventRecorder]:
    """A real event recorder on a fresh store (FakeClock, clock synced); ``recorder.seen`` lists what it recorded.

    Every event's stored data is checked against its catalogue class's payload model."""
    writer = StoreWriter(tmp_path / "e.db")
    writer.open()
    events: list = []
    bus = EventBus()
    bus.subscribe(events.append)
    misfits: list[str] = []
    bus.subscribe(lambda event: misfits.extend(_payload_problems(event)))
    rec = EventRecorder(writer, MediaStore(tmp_path / "media"), bus, FakeClock(), ClockSync(fixed=True))
    rec.seen = events  # type: ignore[attr-defined]
    yield rec
    await writer.close()
    assert misfits == [], "recorded data that does not fit its event class"


def _payload_problems(event: Event) -> list[str]:
    """Whether a stored event's data is what its catalogue class declares."""
    try:
        payload_model(event_class(event.type)).model_validate(event.data)
    except (KeyError, ValidationError) as exc:
        return [f"{event.type}: {exc}"]
    return []
