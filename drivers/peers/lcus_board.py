"""A fake LCUS USB relay board at the other end of a serial line.

:class:`LcusBoardPeer` plays the board for tests and benchmarks: it reads the
host's bytes from a file descriptor (a pty master, a socket) or a path it
opens itself (a pty slave), parses them with the real framer, switches its
channels and, if ``answers_status``, answers the status query ``0xFF`` with
one ``CHn: ON|OFF`` line per channel, as the boards do. Frames with a bad
checksum are ignored and counted, like the hardware ignores them.

Reading uses a non-blocking descriptor and ``loop.add_reader``: nothing
blocks the event loop. When the host side hangs up (the driver closed its end
of a pty, EOF on a socket) the peer pauses reading and looks again shortly,
so a driver can reconnect to the same line. ``stop()`` closes the descriptor:
to the driver that is a pulled USB cable.

Knobs for misbehaving boards: ``answers_status=False`` (a cheap board with no
status query), ``stuck=True`` (relays that do not move), ``send()`` (noise).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import tty
from dataclasses import dataclass

from drivers.relay.lcus.framer import CommandParser, StatusQuery, SwitchFrame, encode_status_line

RESUME_AFTER_HANGUP_S = 0.05


@dataclass(frozen=True, slots=True)
class Switch:
    """One switch frame the board obeyed: when (``time.monotonic()``), which channel, on or off."""

    at: float
    channel: int
    on: bool


class LcusBoardPeer:
    """A simulated LCUS board on ``port``: a path to open, or a file descriptor it takes over."""

    def __init__(self, port: str | int, channels: int = 1, *, answers_status: bool = True) -> None:
        if channels not in (1, 2, 4, 8):
            raise ValueError("LCUS boards have 1, 2, 4 or 8 channels")
        self._port = port
        self._states = [False] * channels
        self.answers_status = answers_status
        self.stuck = False
        self.switches: list[Switch] = []
        self.status_queries = 0
        self.ignored_frames = 0  # valid frames for a channel the board does not have
        self._parser = CommandParser()
        self._fd: int | None = None
        self._resume: asyncio.TimerHandle | None = None

    @property
    def bad_frames(self) -> int:
        """Frames dropped for a bad checksum, start, channel or state."""
        return self._parser.bad_frames

    @property
    def garbage_bytes(self) -> int:
        return self._parser.garbage_bytes

    def channel_state(self, channel: int) -> bool:
        """Whether relay ``channel`` (1-based) is energised."""
        return self._states[channel - 1]

    async def start(self) -> None:
        if self._fd is not None:
            return
        if isinstance(self._port, int):
            fd = self._port
        else:
            fd = os.open(self._port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            if os.isatty(fd):
                tty.setraw(fd)
        os.set_blocking(fd, False)
        self._fd = fd
        asyncio.get_running_loop().add_reader(fd, self._read_ready)

    async def stop(self) -> None:
        """Stop and close the line (the driver sees the cable pulled); idempotent."""
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
        fd, self._fd = self._fd, None
        if fd is not None:
            asyncio.get_running_loop().remove_reader(fd)
            os.close(fd)

    def send(self, data: bytes) -> None:
        """Send raw bytes to the host (noise, half lines); dropped if the line is full or gone."""
        if self._fd is not None:
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._fd, data)

    def _read_ready(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError:  # EIO: no process has the pty slave open
            data = b""
        if not data:
            self._pause(self._fd)
            return
        for message in self._parser.feed(data):
            if isinstance(message, StatusQuery):
                self._answer_status()
            else:
                self._switch(message)

    def _pause(self, fd: int) -> None:
        """The host hung up: stop reading for a moment instead of spinning on a readable fd."""
        loop = asyncio.get_running_loop()
        loop.remove_reader(fd)
        self._resume = loop.call_later(RESUME_AFTER_HANGUP_S, self._resume_reading)

    def _resume_reading(self) -> None:
        self._resume = None
        if self._fd is not None:
            asyncio.get_running_loop().add_reader(self._fd, self._read_ready)

    def _switch(self, frame: SwitchFrame) -> None:
        if frame.channel > len(self._states):
            self.ignored_frames += 1
            return
        self.switches.append(Switch(time.monotonic(), frame.channel, frame.on))
        if not self.stuck:
            self._states[frame.channel - 1] = frame.on

    def _answer_status(self) -> None:
        self.status_queries += 1
        if self.answers_status:
            self.send(b"".join(encode_status_line(n, on) for n, on in enumerate(self._states, start=1)))
