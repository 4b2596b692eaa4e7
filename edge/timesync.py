"""Whether the system clock is synchronised (NTP, chrony, systemd-timesyncd).

Asks the kernel with ``adjtimex(2)``: it returns ``TIME_ERROR`` (5) while the
clock is not synchronised. Events carry the answer as ``clock_synced`` so the
district knows which timestamps to trust. Tests inject a fixed answer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

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
