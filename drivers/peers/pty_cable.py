"""A serial cable made of pseudo-terminals, bridged on the event loop.

The simulated hardware (the *peer*) opens :attr:`PtyCable.peer_port`; the driver
opens :attr:`PtyCable.link_path`, a stable symlink (like ``/dev/serial/by-id/...``)
to the current driver-side pty slave. The cable copies bytes between the two pty
masters with ``loop.add_reader`` on non-blocking fds (no thread, no task) and
misbehaves on demand: ``unplug()``/``replug()`` (a USB adapter pulled and put
back), ``manipulate()`` (corrupt or drop bytes), ``delay_to_driver_s`` (slow),
``baud`` (as slow as a real RS-485 line).

Unplugged (the driver-side master closed, the symlink removed), pyserial 3.5 on
Linux raises ``serial.SerialException`` (an ``OSError``) everywhere: ``read()``
"device reports readiness to read but returned no data" (a hung-up slave reads
EOF), ``write()`` "write failed: [Errno 5] Input/output error", and reopening
``link_path`` has ``errno == ENOENT`` (not a ``FileNotFoundError``) until replug.

Every slave is in raw mode: all 256 byte values cross unchanged (no CR/LF
mapping, XON/XOFF, signals or echo). The cable holds an "anchor" fd open on each
slave, so a master never reads EIO when the port is closed, and raw mode
survives reopening. Bytes sent to a driver port nobody has open wait in the
slave's queue: pyserial flushes it on open, a plain ``open()`` reads them.
Open slaves with ``O_NOCTTY`` (pyserial does): a process without a controlling
terminal would otherwise acquire one, and get SIGHUP on unplug.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from drivers.peers.pty_lane import Lane, Manipulator, PtyPair


class PtyCable:
    """A serial cable between a simulated peer and a driver; see the module docstring."""

    def __init__(self, link_path: Path | str) -> None:
        self.link_path = Path(link_path)
        self._peer: PtyPair | None = None
        self._driver: PtyPair | None = None
        self._to_peer = Lane("to_peer")
        self._to_driver = Lane("to_driver")
        self._closed = False

    async def start(self) -> None:
        """Create both pty pairs, point ``link_path`` at the driver side and start bridging."""
        if self._peer is not None or self._closed:
            raise RuntimeError("PtyCable.start() called twice or after close()")
        self._to_peer.loop = self._to_driver.loop = asyncio.get_running_loop()
        self._peer = PtyPair()
        self._to_driver.attach(src=self._peer.master)
        self._to_peer.attach(dst=self._peer.master)
        try:
            self._plug_in()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop bridging, close every fd, remove the symlink. Idempotent."""
        self._closed = True
        await self.unplug()
        self._to_peer.close()
        self._to_driver.close()
        if self._peer is not None:
            self._peer.close()
            self._peer = None

    async def unplug(self) -> None:
        """Pull the driver side out: its master closes (the driver's port hangs up), the link goes."""
        if self._driver is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.link_path.unlink()
        self._to_peer.detach_src()
        self._to_driver.detach_dst()
        self._driver.close()
        self._driver = None

    async def replug(self) -> None:
        """Plug a new driver-side pty in and re-point ``link_path`` at it (atomically)."""
        if self._closed or self._peer is None:
            raise RuntimeError("PtyCable.replug() on a cable that is not started")
        if self._driver is None:
            self._plug_in()

    def manipulate(self, fn: Manipulator | None) -> None:
        """Pass every chunk through ``fn(direction, data) -> bytes`` (b"" drops it); None removes it."""
        self._to_peer.manipulator = self._to_driver.manipulator = fn

    @property
    def peer_port(self) -> str:
        """The pty slave the simulated device opens; it stays the same across unplug/replug."""
        if self._peer is None:
            raise RuntimeError("PtyCable is not started")
        return self._peer.slave_path

    @property
    def driver_port(self) -> str | None:
        """The pty slave ``link_path`` points at now, None while unplugged."""
        return self._driver.slave_path if self._driver else None

    @property
    def plugged(self) -> bool:
        return self._driver is not None

    @property
    def delay_to_driver_s(self) -> float:
        """Seconds the peer's bytes take to reach the driver (order is kept); 0 by default."""
        return self._to_driver.delay_s

    @delay_to_driver_s.setter
    def delay_to_driver_s(self, seconds: float) -> None:
        self._to_driver.delay_s = seconds

    @property
    def delay_to_peer_s(self) -> float:
        """Seconds the driver's bytes take to reach the peer (order is kept); 0 by default."""
        return self._to_peer.delay_s

    @delay_to_peer_s.setter
    def delay_to_peer_s(self, seconds: float) -> None:
        self._to_peer.delay_s = seconds

    @property
    def baud(self) -> int | None:
        """Line speed emulated both ways (10 bits a byte); None: as fast as the pty."""
        return self._to_peer.baud

    @baud.setter
    def baud(self, value: int | None) -> None:
        self._to_peer.baud = self._to_driver.baud = value

    @property
    def bytes_to_peer(self) -> int:
        """Bytes delivered to the peer so far (after manipulation)."""
        return self._to_peer.delivered

    @property
    def bytes_to_driver(self) -> int:
        """Bytes delivered to the driver so far (after manipulation)."""
        return self._to_driver.delivered

    @property
    def bytes_dropped(self) -> int:
        """Bytes lost either way: sent while unplugged, or dropped by a manipulator."""
        return self._to_peer.dropped + self._to_driver.dropped

    async def __aenter__(self) -> PtyCable:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _plug_in(self) -> None:
        self._driver = PtyPair()
        self._to_peer.attach(src=self._driver.master)
        self._to_driver.attach(dst=self._driver.master)
        _point_link(self.link_path, self._driver.slave_path)


def _point_link(link_path: Path, target: str) -> None:
    """Make ``link_path`` a symlink to ``target`` atomically: symlink a temporary name, rename it."""
    tmp = link_path.with_name(f".{link_path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link_path)
