"""Test doubles shared by the daemon's tests: the one fake clock, and waiting on real-world effects.

:class:`FakeClock` is every test's clock: a :class:`drivers.base.Clock` (``now``,
``monotonic``, ``sleep``) and a ``Callable[[], float]`` at once. Its rules are in
its docstring; ``tests/test_fake_clock.py`` pins each of them down. Where the code
under test also waits on real I/O, :func:`settle_when` with :class:`InFlight` makes
the clock wait for it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

Settle = Callable[[], Awaitable[None]]


async def settle(passes: int = 50) -> None:
    """Let every ready task run for ``passes`` passes of the event loop (no real time passes)."""
    for _ in range(passes):
        await asyncio.sleep(0)


@dataclass(order=True)
class _Sleeper:
    deadline: float
    order: int
    future: asyncio.Future[None] = field(compare=False)
    task: asyncio.Task[object] | None = field(compare=False)


class FakeClock:
    """A clock whose time only the test moves. The rules, exactly:

    **Reading.** ``monotonic()`` (and calling the clock itself, for code that takes a
    ``Callable[[], float]``) is virtual seconds, 0.0 at creation. ``now()`` is
    ``start`` plus that many seconds. Time never goes backwards and moves only by
    the methods below; no real time is ever waited for.

    **Sleeping (the default, manual mode).** ``await sleep(s)`` with ``s <= 0``
    yields to the loop once and returns; time does not move. With ``s > 0`` it
    registers the deadline ``monotonic() + s`` (at least one float step later, so
    every positive sleep ends strictly later, as on a real clock) and returns only
    once ``advance`` or ``run_until`` has brought time to that deadline. A
    cancelled sleeper withdraws its deadline. ``sleeps`` lists every ``s`` asked
    for, in order; ``deadlines`` the pending ones, earliest first.

    **advance(s).** Settles first; then takes the pending deadlines up to
    ``monotonic() + s`` one at a time, earliest first (equal deadlines in the order
    the sleeps were called): sets time to that deadline, wakes that one sleeper and
    settles again, so each sleeper runs at its own deadline, and whatever it does
    (sleeping again too) happens before time moves on. A deadline registered during
    the advance is taken in its turn if it falls inside it. Ends with time at
    exactly the target and one more settle.

    **run_until(condition, limit_s).** Checks ``condition()`` after settling; while
    it is false, moves time to the next deadline exactly as ``advance`` does, and
    checks again. Returns how much clock time that took. Fails the test
    (AssertionError) when time would pass ``limit_s`` or when nobody sleeps on the
    clock (time could never move): a wait that is given up says so.

    **Settling.** What "let it run" means is the ``settle`` coroutine function
    given to the constructor; the default, :func:`settle`, lets ready tasks run
    for 50 passes of the loop. Code that waits on real I/O (a serial peer, a store
    commit) needs a settle that also waits for that I/O to finish, or time would
    move on while it is in flight (see ``tests/modbus/conftest.py``).

    **skip(s).** Moves time on at once, for code that only reads the clock (it
    works without a running loop). Refused with RuntimeError while anyone sleeps
    on the clock: use ``advance``, which wakes them at their deadlines.

    **Auto-advance (``FakeClock(autoadvance=True)``).** For code that sleeps in
    loops while the test waits on an outcome in real time: ``sleep(s)`` moves time
    on by ``max(s, 0)`` at once and yields to the loop once, so time is the sum of
    every sleep taken. Nobody ever waits on such a clock; there are no deadlines,
    and ``advance`` and ``skip`` only move time.
    """

    def __init__(
        self,
        start: datetime = datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        *,
        autoadvance: bool = False,
        settle: Settle = settle,
    ) -> None:
        self.start = start
        self.autoadvance = autoadvance
        self.sleeps: list[float] = []
        self._settle = settle
        self._t = 0.0
        self._sleepers: list[_Sleeper] = []
        self._order = itertools.count()

    # --- reading -------------------------------------------------------------------

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    def __call__(self) -> float:
        return self._t

    @property
    def deadlines(self) -> list[float]:
        """The pending sleepers' deadlines, earliest first."""
        return sorted(s.deadline for s in self._live())

    def sleeping_tasks(self) -> set[asyncio.Task[object]]:
        """The tasks waiting in ``sleep`` now."""
        return {s.task for s in self._live() if s.task is not None}

    # --- sleeping --------------------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.autoadvance:
            self._t += max(seconds, 0.0)
            await asyncio.sleep(0)
            return
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        deadline = max(self._t + seconds, math.nextafter(self._t, math.inf))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, _Sleeper(deadline, next(self._order), future, asyncio.current_task()))
        await future  # cancelling the sleeper cancels the future, which withdraws the deadline

    # --- moving time -------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, waking each sleeper at its deadline and letting it run."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        target = self._t + seconds
        await self._settle()
        while (sleeper := self._next()) is not None and sleeper.deadline <= target:
            await self._wake(sleeper)
        self._t = max(self._t, target)
        await self._settle()

    async def run_until(self, condition: Callable[[], bool], limit_s: float) -> float:
        """Move time from deadline to deadline until ``condition()``; the clock time it took."""
        began, give_up = self._t, self._t + limit_s
        await self._settle()
        while not condition():
            sleeper = self._next()
            if sleeper is None:
                raise AssertionError("condition not met, and nobody sleeps on the clock")
            if sleeper.deadline > give_up:
                raise AssertionError(f"condition not met within {limit_s} s of clock time")
            await self._wake(sleeper)
        return self._t - began

    def skip(self, seconds: float) -> None:
        """Move time on at once, for code that only reads the clock."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        if self._next() is not None:
            raise RuntimeError("someone sleeps on this clock: use `await advance(...)`")
        self._t += seconds

    # --- helpers -----------------------------------------------------------------------

    def _live(self) -> list[_Sleeper]:
        return [s for s in self._sleepers if not s.future.done()]

    def _next(self) -> _Sleeper | None:
        while self._sleepers and self._sleepers[0].future.done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0] if self._sleepers else None

    async def _wake(self, sleeper: _Sleeper) -> None:
        heapq.heappop(self._sleepers)
        self._t = max(self._t, sleeper.deadline)
        sleeper.future.set_result(None)
        await self._settle()


class InFlight:
    """How many calls of some coroutine methods are under way: real I/O a FakeClock must wait for.

    ``watch(owner, "name", ...)`` replaces each method on that instance with a
    counting wrapper (test only); ``count`` is the number of calls not yet returned.
    """

    def __init__(self) -> None:
        self.count = 0

    def watch(self, owner: object, *names: str) -> None:
        for name in names:
            setattr(owner, name, self._counted(getattr(owner, name)))

    def _counted(self, method: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        async def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            try:
                return await method(*args, **kwargs)
            finally:
                self.count -= 1

        return counted


def settle_when(busy: Callable[[], bool], give_up_s: float = 10.0) -> Settle:
    """A ``settle`` for FakeClock: let ready tasks run, then wait in real time until ``busy()`` is false.

    Waiting longer than ``give_up_s`` real seconds fails the test: the real I/O hung.
    """

    async def settle_when_idle() -> None:
        give_up = time.monotonic() + give_up_s
        await settle()
        while busy():
            if time.monotonic() > give_up:
                raise AssertionError(f"real I/O still under way after {give_up_s} s")
            await asyncio.sleep(0.001)
            await settle()

    return settle_when_idle


async def wait_until(condition, timeout: float = 5.0, interval: float = 0.005) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition()`` until true; fail the test after ``timeout`` real seconds.

    For effects of real work (threads, sockets, processes); for time, use a FakeClock.
    """
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(interval)
