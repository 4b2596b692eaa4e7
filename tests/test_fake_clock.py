"""The one fake clock's rules (tests/fakes.py), each pinned down."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

import pytest

from drivers.base import Clock
from tests.fakes import FakeClock, InFlight, settle_when

START = datetime(2030, 1, 1, tzinfo=UTC)


def test_reading_time_and_calling_the_clock_agree() -> None:
    clock = FakeClock(START)
    checked: Clock = clock  # it is a Clock
    assert checked.monotonic() == clock() == 0.0 and clock.now() == START
    clock.skip(1.5)
    assert clock.monotonic() == clock() == 1.5 and clock.now() == START + timedelta(seconds=1.5)


async def test_a_sleeper_waits_for_advance_and_wakes_at_its_deadline() -> None:
    clock = FakeClock()
    woke_at: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(2.0)
        woke_at.append(clock.monotonic())

    async with asyncio.TaskGroup() as group:
        group.create_task(sleeper())
        await clock.advance(1.999)
        assert woke_at == [] and clock.deadlines == [2.0]
        await clock.advance(1.0)
    assert woke_at == [2.0] and clock.monotonic() == 2.999 and clock.deadlines == []


async def test_advance_wakes_in_deadline_order_each_at_its_own_time_and_takes_new_deadlines() -> None:
    clock = FakeClock()
    log: list[tuple[str, float]] = []

    async def loop(name: str, every: float, times: int) -> None:
        for _ in range(times):
            await clock.sleep(every)
            log.append((name, clock.monotonic()))

    async with asyncio.TaskGroup() as group:
        group.create_task(loop("a", 0.5, 3))
        group.create_task(loop("b", 1.0, 2))
        group.create_task(loop("c", 1.0, 1))
        await clock.advance(2.0)
    # at 1.0 three deadlines meet: in the order their sleeps were called (a's second one last, at 0.5)
    assert log == [("a", 0.5), ("b", 1.0), ("c", 1.0), ("a", 1.0), ("a", 1.5), ("b", 2.0)]
    assert clock.monotonic() == 2.0


async def test_sleeping_zero_or_less_only_yields() -> None:
    clock = FakeClock()
    await clock.sleep(0)
    await clock.sleep(-1)
    assert clock.monotonic() == 0.0 and clock.sleeps == [0, -1] and clock.deadlines == []


async def test_a_positive_sleep_always_ends_strictly_later() -> None:
    clock = FakeClock()
    clock.skip(1e6)
    async with asyncio.TaskGroup() as group:
        task = group.create_task(clock.sleep(1e-12))  # below the float resolution at 1e6
        await asyncio.sleep(0)
        assert clock.deadlines == [math.nextafter(1e6, math.inf)]
        await clock.advance(1.0)
    assert task.done()


async def test_a_cancelled_sleeper_withdraws_its_deadline() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    assert clock.sleeping_tasks() == {task}
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.deadlines == [] and clock.sleeping_tasks() == set()
    clock.skip(10)  # nobody sleeps any more


async def test_run_until_moves_deadline_by_deadline_and_says_how_long_it_took() -> None:
    clock = FakeClock()
    ticks: list[float] = []

    async def poller() -> None:
        while True:
            await clock.sleep(0.25)
            ticks.append(clock.monotonic())

    async with asyncio.TaskGroup() as group:
        task = group.create_task(poller())
        took = await clock.run_until(lambda: len(ticks) == 3, limit_s=10)
        assert took == 0.75 and ticks == [0.25, 0.5, 0.75]
        with pytest.raises(AssertionError, match="within 1 s of clock time"):
            await clock.run_until(lambda: False, limit_s=1)
        assert clock.monotonic() == 1.75  # the last deadline inside the limit; the next is past it
        task.cancel()


async def test_run_until_gives_up_when_nobody_sleeps() -> None:
    with pytest.raises(AssertionError, match="nobody sleeps"):
        await FakeClock().run_until(lambda: False, limit_s=10)


async def test_skip_is_refused_while_someone_sleeps() -> None:
    clock = FakeClock()
    async with asyncio.TaskGroup() as group:
        group.create_task(clock.sleep(1))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="advance"):
            clock.skip(5)
        await clock.advance(1)


async def test_advance_uses_the_settle_it_was_given() -> None:
    calls: list[float] = []
    clock: FakeClock

    async def counting_settle() -> None:
        calls.append(clock.monotonic())
        await asyncio.sleep(0)

    clock = FakeClock(settle=counting_settle)
    async with asyncio.TaskGroup() as group:
        group.create_task(clock.sleep(1))
        await clock.advance(3)
    assert calls == [0.0, 1.0, 3.0]  # before, after the one wake-up, at the end


async def test_autoadvance_sleeps_move_time_at_once_and_add_up() -> None:
    clock = FakeClock(autoadvance=True)
    other_ran: list[float] = []

    async def other() -> None:
        other_ran.append(clock.monotonic())

    task = asyncio.create_task(other())
    await clock.sleep(3)  # yields once: the other task runs
    await clock.sleep(-1)
    await clock.sleep(0.5)
    await task
    assert other_ran == [3.0] and clock.monotonic() == 3.5 and clock.sleeps == [3, -1, 0.5]
    assert clock.deadlines == []
    await clock.advance(1)
    clock.skip(1)
    assert clock.monotonic() == 5.5


def test_time_never_goes_backwards() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError):
        clock.skip(-1)
    with pytest.raises(ValueError):
        asyncio.run(clock.advance(-1))


async def test_settle_when_holds_time_until_real_work_is_done() -> None:
    class Device:
        async def write(self) -> float:
            await asyncio.to_thread(time.sleep, 0.05)  # real work, on a thread
            return clock.monotonic()

    device, in_flight = Device(), InFlight()
    in_flight.watch(device, "write")
    clock = FakeClock(settle=settle_when(lambda: in_flight.count > 0))
    finished_at: list[float] = []

    async def loop() -> None:
        for _ in range(3):
            await clock.sleep(0.01)
            finished_at.append(await device.write())

    async with asyncio.TaskGroup() as group:
        group.create_task(loop())
        await clock.advance(0.1)
    # each write ended at the clock time it began: time waited for it, 50 ms of real time each
    assert [round(t, 9) for t in finished_at] == [0.01, 0.02, 0.03] and in_flight.count == 0
