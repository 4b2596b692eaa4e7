"""A network camera serving HTTP MJPEG, played by Debian's ffmpeg: the peer of ``camera.*`` drivers.

:class:`MjpegCamera` runs ``ffmpeg -re -stream_loop -1 -i VIDEO -c:v mjpeg -f
mpjpeg -listen 1 http://127.0.0.1:PORT/cam.mjpg``: the video, looped, sent at
its own frame rate as ``multipart/x-mixed-replace`` JPEG frames, as cheap IP
cameras and many NVRs do. The driver reads it with OpenCV, as it would a camera.

ffmpeg serves ONE client and exits when that client leaves, like a camera
that allows one stream. ``start()`` returns once the port is listening (seen
in ``/proc/net/tcp``: a test connection would be the one client), ``stop()``
kills it (the camera loses power), ``restart()`` brings it back on the same
port, ``freeze()`` stops the process without closing its socket (a camera
that hangs: the stream stalls) and ``thaw()`` resumes it. It ignores
credentials, so URLs with a user and password work against it.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
from pathlib import Path

FFMPEG = "/usr/bin/ffmpeg"
_ESTABLISHED = "01"
_LISTEN = "0A"  # TCP state in /proc/net/tcp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something serves 127.0.0.1:``port`` (without connecting to it): it listens, or it
    already took its one client (ffmpeg's ``-listen 1`` stops listening once a client connects, and
    a camera driver reconnecting in a loop can get there between two looks)."""
    with open("/proc/net/tcp", encoding="ascii") as table:
        for row in table.readlines()[1:]:
            fields = row.split()
            address, state = fields[1], fields[3]
            if state in (_LISTEN, _ESTABLISHED) and int(address.rpartition(":")[2], 16) == port:
                return True
    return False


class MjpegCamera:
    def __init__(self, video: Path, port: int | None = None, path: str = "/cam.mjpg") -> None:
        if shutil.which(FFMPEG) is None:
            raise RuntimeError(
                f"{FFMPEG} is missing: `make test` installs Debian's ffmpeg "
                "(scripts/system-packages.txt), or run: apt-get install ffmpeg"
            )
        self.video = video
        self.port = port or free_port()
        self.path = path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def serving(self) -> bool:
        return self._process is not None and self._process.poll() is None

    async def start(self, within_s: float = 5.0) -> None:
        command = [
            FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1",
            "-i", str(self.video), "-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg", "-listen", "1", self.url,
        ]
        # Popen, not asyncio's subprocesses: on 3.11 those watch the child from a thread
        self._process = subprocess.Popen(  # noqa: ASYNC220 - fork+exec only, the wait below is async
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        async with asyncio.timeout(within_s):
            while not listening(self.port):  # noqa: ASYNC110 - polling /proc: there is nothing to await
                if self._process.poll() is not None:
                    raise RuntimeError(f"ffmpeg exited with {self._process.returncode}: {self._errors()}")
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Kill it (and with it the stream); idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()  # also ends a frozen one
        await asyncio.to_thread(process.wait, 5.0)
        if process.stderr is not None:
            process.stderr.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def freeze(self) -> None:
        """Stop ffmpeg in its tracks (SIGSTOP): the connection stays open, no frame comes."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def _errors(self) -> str:
        stderr = self._process.stderr if self._process is not None else None
        return stderr.read().decode(errors="replace")[-2000:] if stderr is not None else ""

    async def __aenter__(self) -> MjpegCamera:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
