"""Waiting for a wake-up with a time limit, the pattern of every loop that polls and can be woken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


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
    tasks: Iterable[asyncio.Task[Any]], grace_s: float = 3.0, attempts: int = 10, wait_s: float = 0.1
) -> set[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait for them, cancelling again those that swallowed it; return any left.

    The first wait is ``grace_s`` long, so a task's own clean-up (closing a
    driver, a last MQTT status) is not cut short; only then is a task that is
    still running cancelled again. Third-party code (``asyncio.wait_for`` on
    3.11 among it) can lose a cancel that lands as a reply arrives; one lost
    cancel must not hang a shutdown.
    """
    pending = {t for t in tasks if not t.done()}
    for attempt in range(attempts):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=grace_s if attempt == 0 else wait_s)
    return pending


async def keep_going(name: str, run: Callable[[], Awaitable[None]], *, delay_s: float = 5.0) -> None:
    """Run ``run`` again whenever it fails, after ``delay_s``: a part of the daemon that breaks (the
    uplink, a schedule) is logged and restarted, and never takes the devices down with it."""
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("daemon.part_failed", part=name, restart_in_s=delay_s)
            await asyncio.sleep(delay_s)
