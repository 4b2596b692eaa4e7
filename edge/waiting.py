"""Waiting for a wake-up with a time limit, the pattern of every loop that polls and can be woken."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def wake_or_timeout(wake: asyncio.Event, seconds: float) -> bool:
    """Wait until ``wake`` is set (at once if it already is) or ``seconds`` pass, then clear it.

    Clearing after, not before, is what keeps a wake-up that came while the
    caller was busy from being lost. True if woken.
    """
    try:
        async with asyncio.timeout(seconds):
            await wake.wait()
    except TimeoutError:
        return False
    finally:
        wake.clear()
    return True


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]], attempts: int = 20, wait_s: float = 0.1
) -> set[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait for them, cancelling again those that swallowed it; return any left.

    Third-party code (``asyncio.wait_for`` on 3.11 among it) can lose a cancel
    that lands as a reply arrives; one lost cancel must not hang a shutdown.
    """
    pending = {t for t in tasks if not t.done()}
    for _ in range(attempts):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=wait_s)
    return pending
