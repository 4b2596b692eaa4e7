"""Waiting on a driver's own clock, so that tests can drive time with a fake one.

``asyncio.timeout`` and ``asyncio.wait_for`` measure loop time, which a fake
clock does not move: a wait that is part of what a driver decides (a pulse
ends, a reading is overdue) is raced against ``clock.sleep`` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from drivers.base import Clock

T = TypeVar("T")


async def wait_event(event: asyncio.Event, clock: Clock, seconds: float | None) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass on ``clock`` (None: no limit); True if it was set."""
    if event.is_set():
        return True
    if seconds is None:
        await event.wait()
        return True
    if seconds <= 0:
        return False
    waiter = asyncio.create_task(event.wait())
    sleeper = asyncio.create_task(clock.sleep(seconds))
    try:
        await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        sleeper.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
    return event.is_set()


async def within(clock: Clock, seconds: float | None, work: Coroutine[Any, Any, T]) -> T:
    """``await work``, or raise TimeoutError once ``seconds`` have passed on ``clock`` (None: no limit).

    ``work`` runs as a task of its own, cancelled (and awaited) when the time
    is up or when the caller is cancelled. Work that finishes as the time runs
    out wins: its result is returned.
    """
    if seconds is None:
        return await work
    task = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(clock.sleep(max(0.0, seconds)))
    timed_out = True
    try:
        await asyncio.wait((task, timer), return_when=asyncio.FIRST_COMPLETED)
        timed_out = not task.done()
    finally:
        timer.cancel()
        task.cancel()  # no-op once it is done
        await asyncio.gather(task, timer, return_exceptions=True)
    if timed_out:
        raise TimeoutError
    return task.result()
