"""Waiting for a wake-up with a time limit, the pattern of every loop that polls and can be woken."""

from __future__ import annotations

import asyncio


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
