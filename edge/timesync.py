"""Whether the system clock is synchronised (NTP, chrony, systemd-timesyncd).

Asks the kernel with ``adjtimex(2)``: it returns ``TIME_ERROR`` (5) while the
clock is not synchronised. Events carry the answer as ``clock_synced`` so the
district knows which timestamps to trust. Tests inject a fixed answer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sqlite3
import time
from datetime import UTC, datetime, timedelta

_TIME_ERROR = 5
_TIMEX_SIZE = 512  # larger than struct timex on every Linux ABI


class ClockSync:
    def __init__(self, *, fixed: bool | None = None, cache_s: float = 30.0) -> None:
        self._fixed = fixed
        self._cache_s = cache_s
        self._checked_at = -1e18
        self._value = False
        self._adjtimex = _load_adjtimex() if fixed is None else None

    def synced(self) -> bool:
        if self._fixed is not None:
            return self._fixed
        now = time.monotonic()
        if now - self._checked_at >= self._cache_s:
            self._value = self._ask_kernel()
            self._checked_at = now
        return self._value

    def _ask_kernel(self) -> bool:
        if self._adjtimex is None:
            return False
        buffer = ctypes.create_string_buffer(_TIMEX_SIZE)  # modes = 0: read only
        state = self._adjtimex(buffer)
        return state not in (-1, _TIME_ERROR)


def _load_adjtimex():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        function = libc.adjtimex
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_char_p]
    function.restype = ctypes.c_int
    return function


class FlooredClock:
    """A clock that never runs earlier than the last good time the box saw.

    A box whose RTC battery is flat boots in 1970 until NTP answers: stamping
    events with that would scramble the district's view. From the floor (the
    last time persisted, see :func:`load_floor`), this clock counts on with the
    monotonic clock while the system clock is behind it.
    """

    def __init__(self, inner, floor: datetime | None = None) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self._floor: datetime | None = None
        self._floor_mono = 0.0
        self.set_floor(floor)

    def set_floor(self, floor: datetime | None) -> None:
        self._floor, self._floor_mono = floor, self._inner.monotonic()

    def now(self) -> datetime:
        now = self._inner.now()
        if self._floor is None:
            return now
        counted = self._floor + timedelta(seconds=self._inner.monotonic() - self._floor_mono)
        return max(now, counted)

    def monotonic(self) -> float:
        return self._inner.monotonic()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


FLOOR_KEY = "clock.last_good"


def load_floor(conn: sqlite3.Connection) -> datetime | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (FLOOR_KEY,)).fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def save_floor(conn: sqlite3.Connection, moment: datetime) -> None:
    """Remember ``moment`` as a time the box has certainly reached (only ever moves forward)."""
    current = load_floor(conn)
    if current is None or moment > current:
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (FLOOR_KEY, moment.astimezone(UTC).isoformat()),
        )
