"""A real MQTT broker for the tests (Debian's mosquitto on a loopback port), and a link that can fail.

``MosquittoBroker`` runs /usr/sbin/mosquitto with its own config in a temp
directory: anonymous, persistence on (sessions, queued QoS 1 messages and
retained messages survive ``restart()``, which reuses the port), logging to
``mosquitto.log`` there. ``FlakyLink`` is a TCP relay put between the box and
the broker that a test can pause (bytes stop, the sockets stay up) or cut
(both sides closed at once, without an MQTT DISCONNECT: the broker publishes
the will).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import shutil
import socket
import subprocess
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"  # from the same Debian package


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MosquittoBroker:
    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """``users``: name -> password, and no anonymous clients; ``tls``: (certificate, key) to serve."""
        if shutil.which(MOSQUITTO) is None:
            raise RuntimeError(
                f"{MOSQUITTO} is missing: `make test` installs Debian's mosquitto "
                "(scripts/system-packages.txt), or run: apt-get install mosquitto"
            )
        self.workdir = workdir
        self.port = port or free_port()
        self.log_path = workdir / "mosquitto.log"
        self._config = workdir / "mosquitto.conf"
        self._users = users
        self._tls = tls
        self._process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self._write_config()

    def _write_config(self) -> None:
        lines = [
            f"user {getpass.getuser()}",  # as root, mosquitto would switch to the 'mosquitto' user
            f"listener {self.port} 127.0.0.1",
            "persistence true",
            f"persistence_location {self.workdir}/",
            f"log_dest file {self.log_path}",
            "log_type all",
        ]
        if self._users is None:
            lines.append("allow_anonymous true")
        else:
            passwords = self.workdir / "passwords"
            passwords.write_text("")
            for name, password in self._users.items():
                subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwords), name, password], check=True)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        if self._tls is not None:
            lines += [f"certfile {self._tls[0]}", f"keyfile {self._tls[1]}"]
        self._config.write_text("\n".join(lines) + "\n")

    async def start(self, timeout: float = 5.0) -> None:
        # Popen, not asyncio's subprocesses: on 3.11 those watch the child from a thread
        self._process = subprocess.Popen(  # noqa: ASYNC220 - fork+exec only, the wait below is async
            [MOSQUITTO, "-c", str(self._config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        async with asyncio.timeout(timeout):
            while not await self._accepts():
                if self._process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited with {self._process.returncode}: {self._errors()}")
                await asyncio.sleep(0.01)

    async def _accepts(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    def _errors(self) -> str:
        stderr = self._process.stderr.read().decode(errors="replace") if self._process and self._process.stderr else ""
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return (stderr + log)[-2000:]

    async def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (mosquitto saves its database), then SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            async with asyncio.timeout(timeout):
                while process.poll() is None:
                    await asyncio.sleep(0.01)
        except TimeoutError:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> MosquittoBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


class FlakyLink:
    """A TCP relay from a loopback port to the broker; ``pause``/``resume`` and ``cut`` it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def open_connections(self) -> int:
        return len(self._relays)

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def cut(self) -> None:
        """Close every relayed connection abruptly (RST); new connections are still relayed."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.resume()
        self.cut()  # each relay ends by itself once its sockets are closed
        relays = set(self._relays)
        if relays:
            _, stuck = await asyncio.wait(relays, timeout=2)
            for relay in stuck:
                relay.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def _relay(self, box_reader: asyncio.StreamReader, box_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        self._writers.add(box_writer)
        try:
            broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            box_writer.transport.abort()
            self._writers.discard(box_writer)
            self._relays.discard(task)
            return
        self._writers.add(broker_writer)
        copies = [
            asyncio.create_task(self._copy(box_reader, broker_writer)),
            asyncio.create_task(self._copy(broker_reader, box_writer)),
        ]
        try:
            await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for copy in copies:
                copy.cancel()
            await asyncio.gather(*copies, return_exceptions=True)
            for writer in (box_writer, broker_writer):
                writer.transport.abort()
                self._writers.discard(writer)
            self._relays.discard(task)

    async def _copy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()

    async def __aenter__(self) -> FlakyLink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
