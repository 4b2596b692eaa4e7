"""Waits measured on a driver's clock: ``within`` (the Modbus devices' waits) on a FakeClock."""

from __future__ import annotations

import asyncio

import pytest

from drivers.timing import within
from tests.fakes import FakeClock


async def test_work_done_in_time_gives_its_result_and_leaves_no_deadline() -> None:
    clock = FakeClock()
    queue: asyncio.Queue[str] = asyncio.Queue()
    async with asyncio.TaskGroup() as group:
        waiting = group.create_task(within(clock, 2.0, queue.get()))
        await clock.advance(1.9)
        queue.put_nowait("reading")
    assert waiting.result() == "reading" and clock.deadlines == []


async def test_time_up_on_the_clock_raises_timeout_and_cancels_the_work() -> None:
    clock = FakeClock()
    queue: asyncio.Queue[str] = asyncio.Queue()
    waiting = asyncio.create_task(within(clock, 2.0, queue.get()))
    await clock.advance(1.999)
    assert not waiting.done()
    await clock.advance(0.001)
    with pytest.raises(TimeoutError):
        waiting.result()
    queue.put_nowait("late")
    assert queue.get_nowait() == "late"  # the cancelled get took nothing


async def test_no_limit_and_no_time() -> None:
    clock = FakeClock()

    async def answer() -> int:
        return 42

    assert await within(clock, None, answer()) == 42
    with pytest.raises(TimeoutError):
        await within(clock, 0, asyncio.Event().wait())
    assert await within(clock, 0, answer()) == 42  # ready work wins over a zero limit


async def test_cancelling_the_caller_cancels_the_work_and_the_timer() -> None:
    clock = FakeClock()
    event = asyncio.Event()
    waiting = asyncio.create_task(within(clock, 5.0, event.wait()))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert clock.deadlines == []


async def test_the_work_s_own_error_comes_through() -> None:
    async def broken() -> None:
        raise OSError("port gone")

    with pytest.raises(OSError, match="port gone"):
        await within(FakeClock(), 1.0, broken())
