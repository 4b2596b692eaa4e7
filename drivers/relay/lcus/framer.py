"""LCUS relay board framing: switch frames, the status query and status lines.

Pure bytes in, values out; no I/O. Host to board:

* a switch frame ``A0 <channel 1..8> <state 0|1> <checksum>`` with
  ``checksum = (0xA0 + channel + state) & 0xFF`` (:func:`encode`, :func:`decode`);
* the status query, the single byte ``0xFF``. It never occurs inside a valid
  switch frame (the checksum of one is at most ``0xA9``).

Board to host: one ASCII line per channel answering the query, such as
``CH1: OFF\\r\\n`` or ``CH2:ON\\n`` (:func:`encode_status_line`,
:func:`parse_status_line`).

Serial links lose, split and corrupt bytes, so both directions also have a
stream parser that is fed bytes in arbitrary chunks, skips and counts what it
cannot use and never raises: :class:`StatusParser` (the host reading the
board) and :class:`CommandParser` (a board, or a test peer, reading the host).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

START = 0xA0
STATUS_QUERY = b"\xff"
FRAME_LEN = 4
MAX_CHANNELS = 8
MAX_LINE = 32  # longer without a newline: noise, not a status line

_STATUS_RE = re.compile(rb"CH\s*(\d{1,2})\s*:\s*(ON|OFF)", re.IGNORECASE)


class FrameError(ValueError):
    """Bytes that are not a valid LCUS frame or status line."""


@dataclass(frozen=True, slots=True)
class SwitchFrame:
    """Switch ``channel`` (1-based) on (relay energised) or off."""

    channel: int
    on: bool


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """The host asked for the status of every channel (the byte 0xFF)."""


def checksum(channel: int, state: int) -> int:
    return (START + channel + state) & 0xFF


def _check_channel(channel: int) -> None:
    if not 1 <= channel <= MAX_CHANNELS:
        raise FrameError(f"channel {channel} is not 1..{MAX_CHANNELS}")


def encode(frame: SwitchFrame) -> bytes:
    _check_channel(frame.channel)
    state = int(frame.on)
    return bytes((START, frame.channel, state, checksum(frame.channel, state)))


def decode(data: bytes) -> SwitchFrame:
    """The switch frame in exactly ``data``; FrameError if it is not one."""
    if len(data) != FRAME_LEN:
        raise FrameError(f"a switch frame is {FRAME_LEN} bytes, not {len(data)}")
    start, channel, state, received = data
    if start != START:
        raise FrameError(f"frame starts with {start:#04x}, not {START:#04x}")
    _check_channel(channel)
    if state not in (0, 1):
        raise FrameError(f"state {state:#04x} is not 0 or 1")
    if received != checksum(channel, state):
        raise FrameError(f"bad checksum {received:#04x}, expected {checksum(channel, state):#04x}")
    return SwitchFrame(channel, bool(state))


def encode_status_line(channel: int, on: bool) -> bytes:
    _check_channel(channel)
    return b"CH%d: %s\r\n" % (channel, b"ON" if on else b"OFF")


def parse_status_line(line: bytes) -> tuple[int, bool]:
    """``(channel, on)`` from one status line (with or without its line end); FrameError if it is none."""
    match = _STATUS_RE.fullmatch(line.strip())
    if match is None:
        raise FrameError(f"not a status line: {line[:MAX_LINE]!r}")
    channel = int(match[1])
    _check_channel(channel)
    return channel, match[2].upper() == b"ON"


class StatusParser:
    """Status lines from a byte stream fed in any chunks: ``feed`` returns ``(channel, on)`` pairs.

    Noise before a status on the same line is skipped; lines with no status in
    them and runs longer than :data:`MAX_LINE` without a newline are dropped.
    ``garbage_bytes`` and ``bad_lines`` count what was thrown away.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.garbage_bytes = 0
        self.bad_lines = 0

    def feed(self, data: bytes) -> list[tuple[int, bool]]:
        self._buffer += data
        found: list[tuple[int, bool]] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end]).strip()
            del self._buffer[: end + 1]
            if line:
                self._take_line(line, found)
        if len(self._buffer) > MAX_LINE:
            self._reject(len(self._buffer) - MAX_LINE // 2)
            del self._buffer[: -(MAX_LINE // 2)]
        return found

    def reset(self) -> None:
        """Forget a partial line (before a new query)."""
        self._buffer.clear()

    def _take_line(self, line: bytes, found: list[tuple[int, bool]]) -> None:
        match = _STATUS_RE.search(line)
        if match is None or not 1 <= int(match[1]) <= MAX_CHANNELS:
            self._reject(len(line))
            return
        if match.start() or match.end() < len(line):
            self.garbage_bytes += len(line) - (match.end() - match.start())
        found.append((int(match[1]), match[2].upper() == b"ON"))

    def _reject(self, garbage: int) -> None:
        self.garbage_bytes += garbage
        self.bad_lines += 1


class CommandParser:
    """Switch frames and status queries from the host's byte stream, fed in any chunks.

    Resynchronises on the next ``0xA0`` after a bad frame (counted in
    ``bad_frames``); other stray bytes are counted in ``garbage_bytes``. A
    frame cut short waits for its remaining bytes.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.garbage_bytes = 0
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[SwitchFrame | StatusQuery]:
        self._buffer += data
        found: list[SwitchFrame | StatusQuery] = []
        while self._buffer:
            first = self._buffer[0]
            if first == STATUS_QUERY[0]:
                found.append(StatusQuery())
                del self._buffer[0]
            elif first != START:
                self.garbage_bytes += 1
                del self._buffer[0]
            elif len(self._buffer) < FRAME_LEN:
                break
            else:
                self._take_frame(found)
        return found

    def _take_frame(self, found: list[SwitchFrame | StatusQuery]) -> None:
        try:
            found.append(decode(bytes(self._buffer[:FRAME_LEN])))
        except FrameError:
            self.bad_frames += 1
            del self._buffer[0]
        else:
            del self._buffer[:FRAME_LEN]
