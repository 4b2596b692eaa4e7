"""The device supervisor: retries calmly, logs once per outage, records health changes."""

from __future__ import annotations

import asyncio
import random
from typing import ClassVar, Literal

import pytest
from structlog.testing import capture_logs

from drivers.base import Driver, DriverConfig, DriverError, HealthState, Priority, Probe
from edge.config.model import SupervisorConfig
from edge.daemon.health import HealthBoard
from edge.daemon.supervisor import DeviceSupervisor
from tests.fakes import FakeClock, wait_until


class FlakyConfig(DriverConfig):
    kind: Literal["test.flaky"] = "test.flaky"


class FlakyDriver(Driver):
    """Fails ``connect`` a set number of times, then runs until told to break."""

    config_model: ClassVar[type[DriverConfig]] = FlakyConfig
    offline_priority: ClassVar[Priority] = Priority.LIFE_SAFETY

    def __init__(self, config, emit, clock, failures: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        self.failures_left = failures
        self.connects = 0
        self.closes = 0
        self.broken = asyncio.Event()
        self.probe_answer = Probe(HealthState.ONLINE)

    async def connect(self) -> None:
        self.connects += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise DriverError("port /dev/ttyUSB0 is gone")

    async def run(self) -> None:
        await self.broken.wait()
        self.broken.clear()
        raise OSError(5, "Input/output error")

    async def probe(self) -> Probe:
        return self.probe_answer

    async def close(self) -> None:
        self.closes += 1




def make(recorder, failures: int, probe_interval_s: float = 1000.0):  # type: ignore[no-untyped-def]
    clock = FakeClock(autoadvance=True)
    settings = SupervisorConfig(backoff_initial_s=1, backoff_max_s=30, probe_interval_s=probe_interval_s)
    driver = FlakyDriver(FlakyConfig(id="sos-1"), recorder.emitter_for("sos-1"), clock, failures)
    health = HealthBoard().register("sos-1", "test.flaky", "", clock.now())
    return DeviceSupervisor(driver, health, recorder, settings, clock, random.Random(7)), driver, clock


async def test_retries_with_capped_backoff_then_comes_online(recorder) -> None:
    supervisor, driver, clock = make(recorder, failures=8)
    with capture_logs() as logs:
        async with asyncio.TaskGroup() as group:
            task = group.create_task(supervisor.run())
            await wait_until(lambda: supervisor.health.state is HealthState.ONLINE)
            await wait_until(lambda: len(recorder.seen) >= 2)  # the online event is stored just after
            task.cancel()
    assert driver.connects == 9
    backoffs = [s for s in clock.sleeps if s != 1000.0]  # the rest are the probe loop's
    assert len(backoffs) == 8
    assert all(0.5 <= delay <= 30 for delay in backoffs)
    assert backoffs[-1] >= 15, "back-off should have grown to the cap"
    assert [e.type for e in recorder.seen] == ["device.offline", "device.online"]
    assert recorder.seen[0].priority == 0  # an unreachable SOS button is life-safety
    assert recorder.seen[0].data["reason"] == "port /dev/ttyUSB0 is gone"
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert len(errors) == 1, "a failure is logged once, not on every retry"
    assert [entry["event"] for entry in logs if entry["log_level"] == "info"] == ["device.recovered"]
    assert driver.closes >= 9  # closed after every failure and on shutdown


async def test_run_failure_marks_offline_and_reconnects(recorder) -> None:
    supervisor, driver, _clock = make(recorder, failures=0)
    async with asyncio.TaskGroup() as group:
        task = group.create_task(supervisor.run())
        await wait_until(lambda: supervisor.health.state is HealthState.ONLINE)
        driver.broken.set()
        await wait_until(lambda: len(recorder.seen) >= 3)
        task.cancel()
    assert [e.type for e in recorder.seen] == ["device.online", "device.offline", "device.online"]
    assert "Input/output error" in recorder.seen[1].data["reason"]
    assert supervisor.health.last_seen is not None


async def test_probe_degraded_and_offline(recorder) -> None:
    supervisor, driver, _clock = make(recorder, failures=0, probe_interval_s=5)
    async with asyncio.TaskGroup() as group:
        task = group.create_task(supervisor.run())
        await wait_until(lambda: supervisor.health.state is HealthState.ONLINE)
        driver.probe_answer = Probe(HealthState.DEGRADED, "no frame for 12 s")
        await wait_until(lambda: supervisor.health.state is HealthState.DEGRADED)
        assert supervisor.health.reason == "no frame for 12 s"
        driver.probe_answer = Probe(HealthState.OFFLINE, "relay board silent")
        await wait_until(lambda: any(e.type == "device.offline" for e in recorder.seen))
        task.cancel()
    types = [e.type for e in recorder.seen]
    assert types[:3] == ["device.online", "device.degraded", "device.offline"]
    offline = next(e for e in recorder.seen if e.type == "device.offline")
    assert offline.data["reason"] == "relay board silent"


class SwallowingDriver(FlakyDriver):
    """Turns the supervisor's cancel into an ordinary failure, as a careless driver might."""

    async def run(self) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise DriverError("interrupted") from None


async def test_shutdown_is_not_lost_to_a_driver_that_swallows_cancel(recorder) -> None:
    clock = FakeClock(autoadvance=True)
    settings = SupervisorConfig(probe_interval_s=1000)
    driver = SwallowingDriver(FlakyConfig(id="bad-1"), recorder.emitter_for("bad-1"), clock, failures=0)
    health = HealthBoard().register("bad-1", "test.flaky", "", clock.now())
    supervisor = DeviceSupervisor(driver, health, recorder, settings, clock, random.Random(1))
    task = asyncio.create_task(supervisor.run())
    await wait_until(lambda: health.state is HealthState.ONLINE)
    task.cancel()
    async with asyncio.timeout(2):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert driver.closes >= 1


class StubbornDriver(FlakyDriver):
    """Its read loop loses the first cancel, as ``asyncio.wait_for`` on 3.11 can when a reply lands."""

    async def run(self) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass  # lost
        await asyncio.Event().wait()  # the second cancel lands here


async def test_shutdown_survives_a_read_loop_that_loses_a_cancel(recorder) -> None:
    clock = FakeClock(autoadvance=True)
    driver = StubbornDriver(FlakyConfig(id="bus-1"), recorder.emitter_for("bus-1"), clock, failures=0)
    health = HealthBoard().register("bus-1", "test.flaky", "", clock.now())
    supervisor = DeviceSupervisor(driver, health, recorder, SupervisorConfig(probe_interval_s=1000), clock)
    task = asyncio.create_task(supervisor.run())
    await wait_until(lambda: health.state is HealthState.ONLINE)
    task.cancel()
    async with asyncio.timeout(6):  # a 3 s grace for clean-up, then cancelled again
        with pytest.raises(asyncio.CancelledError):
            await task
