"""A network serial server (an RS-485-to-Ethernet box in raw TCP mode), simulated.

On one side a serial port (:attr:`SerialServerPeer.peer_port`, a pty slave the
simulated hardware opens); on the other a TCP listener on loopback that a
driver reaches as ``socket://127.0.0.1:<port>``. Bytes are copied unchanged
both ways; one client at a time, as such boxes do. Closing the client's
connection (:meth:`drop_client`) is how a test cuts the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from drivers.peers.pty_lane import PtyPair


class SerialServerPeer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._pty: PtyPair | None = None
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def peer_port(self) -> str:
        assert self._pty is not None, "start() first"
        return self._pty.slave_path

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"socket://{host}:{port}"

    async def start(self) -> None:
        self._pty = PtyPair()
        self._server = await asyncio.start_server(self._on_client, self._host, self._port)

    async def stop(self) -> None:
        await self.drop_client()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    async def drop_client(self) -> None:
        """Close the current TCP client's connection, as a network cut would."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    async def __aenter__(self) -> SerialServerPeer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._pump is not None or self._pty is None:  # busy: one client at a time
            writer.close()
            return
        self._writer = writer
        self._pump = asyncio.current_task()
        loop = asyncio.get_running_loop()
        master = self._pty.master
        loop.add_reader(master, self._serial_to_network)
        try:
            while data := await reader.read(4096):
                os.write(master, data)  # a pty master takes a frame at once
        finally:
            loop.remove_reader(master)
            writer.close()
            self._writer = None
            if self._pump is asyncio.current_task():
                self._pump = None

    def _serial_to_network(self) -> None:
        assert self._pty is not None
        try:
            data = os.read(self._pty.master, 4096)
        except (BlockingIOError, OSError):
            return
        if data and self._writer is not None:
            self._writer.write(data)
