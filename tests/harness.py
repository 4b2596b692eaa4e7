"""The one way a test runs the daemon in-process: :func:`running_daemon`.

``async with running_daemon(load_site("sim-basic", data=...), online=4) as running:``
builds the :class:`Daemon` (output to a buffer, the given clock and clock sync), runs
``daemon.run(stop)`` in a task it owns, and waits until the daemon has recorded
``daemon.started`` (in real time: the daemon's start is real I/O) and then, with
``online=N``, until N devices are online: on a manual :class:`FakeClock` by its
``run_until`` (clock time moves; real I/O must be covered by the clock's settle),
otherwise in real time with :func:`wait_until`. On the way out it sets stop, awaits
the run task (``stop_within_s`` real seconds at most) and re-raises whatever the
daemon raised, so a daemon that crashed fails the test. A daemon that fails to start
raises out of the ``async with`` itself.

``prepare`` is called with the built daemon before it runs: for what must be in
place from its first event (a bus subscription, a wrapper counting its I/O).
A restart test enters ``running_daemon`` twice on the same data dir.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from drivers.base import Clock
from edge.config.model import EdgeConfig
from edge.daemon.app import Daemon
from edge.events.model import Event
from edge.timesync import ClockSync
from tests.fakes import FakeClock, wait_until


@dataclass
class RunningDaemon:
    """A daemon running for a test: the daemon, every event it recorded, its output, a way to stop it."""

    daemon: Daemon
    events: list[Event] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _out: io.StringIO = field(default_factory=io.StringIO)

    @property
    def data_dir(self) -> Path:
        return self.daemon.data_dir

    @property
    def output(self) -> str:
        """What the daemon printed (its banner)."""
        return self._out.getvalue()

    def stop(self) -> None:
        """Ask the daemon to stop; leaving the ``async with`` waits for it."""
        self._stop.set()

    def of_type(self, type_: str, device_id: str | None = None) -> list[Event]:
        """The recorded events of ``type_`` (and of ``device_id``, if given), in order."""
        return [e for e in self.events if e.type == type_ and (device_id is None or e.device_id == device_id)]

    def online(self) -> int:
        return self.daemon.health.counts()["online"]


@asynccontextmanager
async def running_daemon(
    site: EdgeConfig,
    *,
    clock: Clock | None = None,
    clock_sync: ClockSync | None = None,
    online: int | None = None,
    within_s: float = 10.0,
    prepare: Callable[[Daemon], object] | None = None,
    stop_within_s: float = 30.0,
) -> AsyncIterator[RunningDaemon]:
    """Run a daemon on ``site`` for the body of the ``async with``; see the module docstring.

    ``clock_sync`` defaults to a synced clock (``ClockSync(fixed=True)``); ``within_s``
    bounds each wait at start (clock seconds on a manual FakeClock, else real seconds).
    """
    out = io.StringIO()
    daemon = Daemon(site, clock=clock, clock_sync=clock_sync or ClockSync(fixed=True), out=out)
    running = RunningDaemon(daemon, _out=out)
    daemon.bus.subscribe(running.events.append)
    if prepare is not None:
        prepare(daemon)
    task = asyncio.create_task(daemon.run(running._stop), name=f"daemon:{site.site.box_id}")
    try:
        await _started(running, task, within_s)
        if online is not None:
            await _online(running, clock, online, within_s)
        yield running
    finally:
        running.stop()
        try:
            async with asyncio.timeout(stop_within_s):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise AssertionError(f"the daemon did not stop within {stop_within_s} s") from None


async def _started(running: RunningDaemon, task: asyncio.Task[None], within_s: float) -> None:
    """Until ``daemon.started`` is recorded; the daemon's own error if it ends first."""
    async with asyncio.timeout(within_s):
        while not running.of_type("daemon.started"):
            if task.done():
                task.result()  # raises what the daemon raised
                raise AssertionError("the daemon ended before it started")
            await asyncio.sleep(0.005)


async def _online(running: RunningDaemon, clock: Clock | None, devices: int, within_s: float) -> None:
    if isinstance(clock, FakeClock) and not clock.autoadvance:
        await clock.run_until(lambda: running.online() == devices, within_s)
    else:
        await wait_until(lambda: running.online() == devices, within_s)
