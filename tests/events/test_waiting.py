"""The wake-or-timeout wait of the polling loops: no lost wake-ups."""

from __future__ import annotations

import asyncio

from edge.waiting import wake_or_timeout


async def test_a_wake_that_came_before_the_wait_is_not_lost() -> None:
    wake = asyncio.Event()
    wake.set()  # set while the loop was busy
    assert await wake_or_timeout(wake, 10) is True
    assert not wake.is_set()


async def test_times_out_and_is_woken() -> None:
    wake = asyncio.Event()
    assert await wake_or_timeout(wake, 0.01) is False
    waiter = asyncio.create_task(wake_or_timeout(wake, 10))
    await asyncio.sleep(0)
    wake.set()
    assert await waiter is True
