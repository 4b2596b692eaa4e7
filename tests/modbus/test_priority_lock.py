"""The bus lock: one holder at a time, urgent waiters first, cancellation safe."""

from __future__ import annotations

import asyncio

from drivers.modbus.priority_lock import ROUTINE, URGENT, PriorityLock


async def test_urgent_waiters_go_first_then_in_arrival_order() -> None:
    lock = PriorityLock()
    order: list[str] = []
    gate = asyncio.Event()

    async def take(name: str, priority: int) -> None:
        async with lock.hold(priority):
            order.append(name)
            if name == "first":
                await gate.wait()

    async with asyncio.TaskGroup() as group:
        group.create_task(take("first", ROUTINE))
        await asyncio.sleep(0)
        for name, priority in [("poll-a", ROUTINE), ("relay", URGENT), ("poll-b", ROUTINE)]:
            group.create_task(take(name, priority))
        await asyncio.sleep(0)
        gate.set()
    assert order == ["first", "relay", "poll-a", "poll-b"]
    assert not lock.locked


async def test_cancelled_waiter_gives_up_its_place() -> None:
    lock = PriorityLock()
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with lock.hold():
            held.set()
            await release.wait()

    async with asyncio.TaskGroup() as group:
        group.create_task(holder())
        await held.wait()
        waiter = group.create_task(lock.hold(URGENT).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.sleep(0)
        release.set()
    async with asyncio.timeout(1), lock.hold():
        assert lock.locked
    assert not lock.locked
