"""systemd's notify protocol: READY=1, WATCHDOG=1, STOPPING=1 over ``$NOTIFY_SOCKET``.

Does nothing when ``NOTIFY_SOCKET`` is unset (running by hand, in tests). Sends
never block: when the receiver's queue is full (a stuck or slow reader), the
message is dropped rather than freezing the event loop.
"""

from __future__ import annotations

import os
import socket


class SdNotifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        self._address = address or None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, *fields: str) -> bool:
        if self._address is None:
            return False
        message = "\n".join(fields).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK) as sock:
            try:  # never block the event loop on a reader that does not read
                sock.sendto(message, self._address)
            except OSError:  # including BlockingIOError: the queue is full, this one is dropped
                return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    @staticmethod
    def watchdog_interval_s() -> float | None:
        """Half the watchdog period systemd asked for, or None."""
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        if not usec or (pid and pid != str(os.getpid())):
            return None
        try:
            return int(usec) / 2_000_000
        except ValueError:
            return None
