"""The parts of a pty cable: a raw pseudo-terminal pair, and one direction of traffic (a lane).

A lane reads one pty master, lets a manipulator corrupt or drop the bytes,
holds them for an optional delay and for the time they would take on the
wire at ``baud`` (10 bits a byte, one byte at a time), and writes the other
master. See :mod:`drivers.peers.pty_cable` for the cable itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
from collections import deque
from collections.abc import Callable
from typing import Literal

Direction = Literal["to_peer", "to_driver"]
Manipulator = Callable[[Direction, bytes], bytes]

READ_CHUNK = 4096
EIO_BACKOFF_S = 0.05  # a master reading EIO stops being watched this long: no busy loop

_log = logging.getLogger(__name__)


def _make_raw(fd: int) -> None:
    """Put a tty in raw mode: no byte is translated, swallowed or echoed (cfmakeraw, and more)."""
    attrs = termios.tcgetattr(fd)
    attrs[0] = 0  # iflag: no ICRNL/INLCR/IGNCR, no IXON/IXOFF/IXANY, no ISTRIP, no PARMRK
    attrs[1] &= ~termios.OPOST  # oflag: no ONLCR
    attrs[2] = (attrs[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8 | termios.CREAD | termios.CLOCAL
    attrs[3] = 0  # lflag: no ECHO, ICANON, ISIG, IEXTEN
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class PtyPair:
    """One pseudo-terminal: the master the cable bridges and an anchor fd holding the slave open."""

    def __init__(self) -> None:
        self.master, self.anchor = os.openpty()  # glibc opens the slave with O_NOCTTY
        try:
            _make_raw(self.anchor)
            os.set_blocking(self.master, False)
            self.slave_path = os.ttyname(self.anchor)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for fd in (self.master, self.anchor):
            with contextlib.suppress(OSError):
                os.close(fd)


class Lane:
    """One direction of the cable: read a master, manipulate, delay, write the other master.

    Backpressure instead of loss: while the destination master is full, the
    unwritten rest waits here (an ``add_writer`` callback finishes it) and the
    source is not read, so at most one chunk is queued and the sender's own
    pty fills up and blocks, as on a flow-controlled line.
    """

    def __init__(self, direction: Direction) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None  # set by PtyCable.start()
        self.direction: Direction = direction
        self.manipulator: Manipulator | None = None
        self.delay_s = 0.0
        self.baud: int | None = None  # emulate the line's speed; None: as fast as the pty
        self._line_free_at = 0.0
        self.delivered = 0  # bytes written to the destination master
        self.dropped = 0  # bytes lost: unplugged, or dropped by the manipulator
        self._src: int | None = None
        self._dst: int | None = None
        self._reading = False
        self._out = bytearray()
        self._delayed: deque[tuple[float, bytes]] = deque()
        self._release_timer: asyncio.TimerHandle | None = None
        self._backoff_timer: asyncio.TimerHandle | None = None

    def attach(self, src: int | None = None, dst: int | None = None) -> None:
        if src is not None:
            self._src = src
            self._watch()
        if dst is not None:
            self._dst = dst

    def detach_src(self) -> None:
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
            self._backoff_timer = None
        self._watch(False)
        self._src = None

    def detach_dst(self) -> None:
        """The destination is gone: what is queued or still in flight for it is lost."""
        if self._dst is not None:
            self.loop.remove_writer(self._dst)
            self._dst = None
        self.dropped += len(self._out) + sum(len(data) for _, data in self._delayed)
        self._out.clear()
        self._delayed.clear()
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        self._watch()

    def close(self) -> None:
        self.detach_src()
        self.detach_dst()

    def _watch(self, wanted: bool = True) -> None:
        """Read the source when wanted, attached, not backing off and nothing waits to be written."""
        wanted = wanted and self._src is not None and self._backoff_timer is None and not self._out
        if wanted and not self._reading:
            self.loop.add_reader(self._src, self._on_readable)
        elif self._reading and not wanted:
            self.loop.remove_reader(self._src)
        self._reading = wanted

    def _on_readable(self) -> None:
        try:
            data = os.read(self._src, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: no slave fd open (cannot happen while the anchor is held)
            data = b""
        if data:
            self._pass(data)
        else:  # stop watching a while: a hung-up fd stays readable and would spin the loop
            self._watch(False)
            self._backoff_timer = self.loop.call_later(EIO_BACKOFF_S, self._end_backoff)

    def _end_backoff(self) -> None:
        self._backoff_timer = None
        self._watch()

    def _pass(self, data: bytes) -> None:
        if self.manipulator is not None:
            data = self._manipulate(data)
        if not data:
            return
        wire_s = len(data) * 10 / self.baud if self.baud else 0.0
        if self.delay_s <= 0 and wire_s == 0 and not self._delayed:
            self._deliver(data)
            return
        due = self.loop.time() + max(self.delay_s, 0.0)
        if self._delayed:
            due = max(due, self._delayed[-1][0])  # never reorder bytes
        due = max(due, self._line_free_at) + wire_s  # the line carries one byte at a time
        self._line_free_at = due
        self._delayed.append((due, data))
        self._arm_release()

    def _manipulate(self, data: bytes) -> bytes:
        try:
            result = bytes(self.manipulator(self.direction, data) or b"")
        except Exception:
            _log.exception("%s: manipulator failed; chunk dropped", self.direction)
            result = b""
        if not result:
            self.dropped += len(data)
        return result

    def _arm_release(self) -> None:
        if self._release_timer is None and self._delayed:
            self._release_timer = self.loop.call_at(self._delayed[0][0], self._release)

    def _release(self) -> None:
        self._release_timer = None
        now = self.loop.time()
        while self._delayed and self._delayed[0][0] <= now:
            self._deliver(self._delayed.popleft()[1])
        self._arm_release()

    def _deliver(self, data: bytes) -> None:
        if self._dst is None:
            self.dropped += len(data)
            return
        self._out += data
        self._flush()

    def _flush(self) -> None:
        try:
            written = os.write(self._dst, self._out)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            _log.debug("%s: write failed (%s); %d bytes dropped", self.direction, exc, len(self._out))
            self.dropped += len(self._out)
            self._out.clear()
            written = 0
        self.delivered += written
        del self._out[:written]
        if self._out:
            self.loop.add_writer(self._dst, self._flush)
        else:
            self.loop.remove_writer(self._dst)
        self._watch()
