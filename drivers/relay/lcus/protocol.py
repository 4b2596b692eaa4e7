"""Requests and responses with an LCUS relay board over a pyserial link.

:class:`SerialLink` opens any pyserial URL (``/dev/ttyUSB0``,
``/dev/serial/by-id/...``, ``socket://host:port``, ``rfc2217://host:port``)
with ``serial_for_url(url, do_not_open=True)``; opening and closing run in a
worker thread (a network URL may take seconds). The port is read without ever
blocking the event loop: with ``loop.add_reader`` on its file descriptor when
it has one, else by polling non-blocking reads from a task the link owns.

The link is lost, and stays lost, when the port fails: a read or write raises
(``SerialException``/``OSError``: EIO on a pulled USB cable or a closed pty,
"socket disconnected"), or the port keeps saying it is readable but yields no
bytes (end of file). :class:`LcusProtocol` then fails the waiting request and
every later one with :class:`LinkLost` and calls its ``on_lost`` hook.

:class:`LcusProtocol` holds one lock for all requests and a timeout on each
(the wait for the lock included): ``switch`` (no answer to wait for: the
boards do not acknowledge) and ``read_channel`` (the status query).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
from collections import Counter
from collections.abc import AsyncIterator, Callable

import serial
import structlog

from drivers.base import Clock, DriverError
from drivers.relay.lcus.framer import STATUS_QUERY, StatusParser, SwitchFrame, encode

log = structlog.get_logger(__name__)

READ_CHUNK = 4096
POLL_S = 0.02  # read interval for ports without a file descriptor (rfc2217://, loop://)
POLLED_WRITE_TIMEOUT_S = 0.05  # those ports cannot write without blocking; cap it
EMPTY_READS_AT_EOF = 3  # "readable" yet no bytes this many times in a row: the device is gone
GARBAGE_BURST_GAP_S = 5.0  # garbage after this much quiet starts a new burst (and a new log line)


class LinkLost(DriverError):
    """The serial link failed (unplugged, closed by the other end); reconnect to go on."""


class RequestTimeout(DriverError):
    """The board did not answer in time (or the link stayed busy)."""


class SerialLink:
    """One open pyserial port; hands received bytes to ``on_data`` and a failure to ``on_lost``."""

    def __init__(self, port: serial.SerialBase, on_data: Callable[[bytes], None], on_lost: Callable[[str], None]):
        self._port = port
        self._on_data = on_data
        self._on_lost = on_lost
        self._fd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        self._empty_reads = 0
        self.lost_reason: str | None = None

    @classmethod
    async def open(
        cls, url: str, baudrate: int, on_data: Callable[[bytes], None], on_lost: Callable[[str], None]
    ) -> SerialLink:
        port = serial.serial_for_url(url, do_not_open=True)
        port.baudrate, port.timeout, port.write_timeout, port.exclusive = baudrate, 0, 0, True
        opening = asyncio.get_running_loop().run_in_executor(None, port.open)
        try:
            await asyncio.shield(opening)
        except asyncio.CancelledError:  # leave nothing open behind a cancelled connect
            opening.add_done_callback(lambda _: port.close())
            raise
        link = cls(port, on_data, on_lost)
        try:
            link._start_reading()
        except BaseException:  # e.g. a path whose fd epoll cannot watch
            await asyncio.to_thread(port.close)
            raise
        return link

    def _start_reading(self) -> None:
        try:
            self._fd = self._port.fileno()
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
            self._port.write_timeout = POLLED_WRITE_TIMEOUT_S  # loop:// refuses 0; rfc2217 ignores it
            self._poller = asyncio.create_task(self._poll(), name=f"lcus-poll:{self._port.port}")
        else:
            asyncio.get_running_loop().add_reader(self._fd, self._read_ready)

    def write(self, data: bytes) -> None:
        """Write without blocking; RequestTimeout if the output is full, LinkLost if the port failed."""
        if self.lost_reason is not None:
            raise LinkLost(self.lost_reason)
        if self._fd is not None and not select.select([], [self._fd], [], 0)[1]:
            raise RequestTimeout("serial output full")  # pyserial would spin until there is room
        try:
            written = self._port.write(data)
        except serial.SerialTimeoutException:
            raise RequestTimeout("serial output full") from None
        except (serial.SerialException, OSError) as exc:
            self._lose(f"write failed: {exc}")
            raise LinkLost(self.lost_reason) from exc
        if written is not None and written != len(data):
            raise RequestTimeout(f"serial output full: wrote {written} of {len(data)} bytes")

    def _read_ready(self) -> None:
        try:
            data = self._port.read(READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            self._lose(f"read failed: {exc}")
            return
        if data:
            self._empty_reads = 0
            self._on_data(data)
        elif self._fd is not None:
            self._empty_reads += 1
            if self._empty_reads >= EMPTY_READS_AT_EOF:
                self._lose("device returned no data (unplugged?)")

    async def _poll(self) -> None:
        while self.lost_reason is None:
            self._read_ready()
            await asyncio.sleep(POLL_S)

    def _lose(self, reason: str) -> None:
        if self.lost_reason is None:
            self.lost_reason = reason
            self._stop_reading()
            self._on_lost(reason)

    def _stop_reading(self) -> None:
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None

    async def close(self) -> None:
        """Stop reading and close the port (in a thread: rfc2217 waits for its reader); idempotent."""
        self.lost_reason = self.lost_reason or "closed"
        self._stop_reading()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        with contextlib.suppress(serial.SerialException, OSError):
            # what was written still leaves: closing a tty waits for its output to drain
            await asyncio.to_thread(self._port.close)


class LcusProtocol:
    """Switch requests and status queries to one board, one at a time, each with a timeout."""

    def __init__(self, timeout_s: float, counters: Counter[str], clock: Clock, on_lost: Callable[[], None]):
        self._timeout_s = timeout_s
        self._counters = counters
        self._clock = clock
        self._on_lost = on_lost
        self._lock = asyncio.Lock()
        self._parser = StatusParser()
        self._waiting: tuple[int, asyncio.Future[bool]] | None = None
        self._last_garbage_at: float | None = None
        self._link: SerialLink | None = None
        self.port = ""

    async def open(self, url: str, baudrate: int) -> None:
        self.port = url
        self._link = await SerialLink.open(url, baudrate, self._data_received, self._connection_lost)

    @property
    def lost_reason(self) -> str | None:
        return "not connected" if self._link is None else self._link.lost_reason

    async def switch(self, channel: int, on: bool) -> None:
        """Send one switch frame; the board does not answer it."""
        async with self._request():
            self._require_link().write(encode(SwitchFrame(channel, on)))

    async def read_channel(self, channel: int) -> bool:
        """Ask for the status and wait for ``channel``'s line: True if its relay is energised."""
        async with self._request():
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._parser.reset()
            self._waiting = (channel, future)
            try:
                self._require_link().write(STATUS_QUERY)
                return await future
            finally:
                self._waiting = None

    async def close(self) -> None:
        if self._link is not None:
            await self._link.close()

    @contextlib.asynccontextmanager
    async def _request(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._timeout_s), self._lock:
                yield
        except TimeoutError:
            self._counters["request_timeouts"] += 1
            raise RequestTimeout(f"no answer within {self._timeout_s * 1000:g} ms") from None

    def _require_link(self) -> SerialLink:
        if self._link is None or self._link.lost_reason is not None:
            raise LinkLost(self.lost_reason or "not connected")
        return self._link

    def _data_received(self, data: bytes) -> None:
        garbage_before, bad_before = self._parser.garbage_bytes, self._parser.bad_lines
        for channel, on in self._parser.feed(data):
            self._counters["status_lines"] += 1
            if self._waiting is not None and self._waiting[0] == channel and not self._waiting[1].done():
                self._waiting[1].set_result(on)
        self._counters["bad_lines"] += self._parser.bad_lines - bad_before
        self._count_garbage(self._parser.garbage_bytes - garbage_before)

    def _count_garbage(self, count: int) -> None:
        """Count bytes that were no status; log the first of each burst only."""
        if count <= 0:
            return
        self._counters["garbage_bytes"] += count
        now = self._clock.monotonic()
        if self._last_garbage_at is None or now - self._last_garbage_at > GARBAGE_BURST_GAP_S:
            log.warning("lcus.garbage", port=self.port, bytes=count, total=self._counters["garbage_bytes"])
        self._last_garbage_at = now

    def _connection_lost(self, reason: str) -> None:
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].set_exception(LinkLost(reason))
        self._on_lost()
