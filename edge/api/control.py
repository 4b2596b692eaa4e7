"""The control socket: HTTP over a Unix socket in the data dir, for the ``edge`` CLI on the box.

Only the daemon's own user (and root) can open it (mode 0600), so it needs no
password. ``GET /status`` gives device health; ``POST /commands`` runs a command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from drivers.base import Command
from edge.daemon.commands import CommandRequest

if TYPE_CHECKING:
    from edge.daemon.app import Daemon

_MAX_SOCKET_PATH = 107


class ControlServer:
    def __init__(self, daemon: Daemon, path: Path) -> None:
        self._daemon = daemon
        self.path = path
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        if len(os.fsencode(self.path)) > _MAX_SOCKET_PATH:
            raise OSError(f"control socket path is too long for a Unix socket: {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)  # left by a daemon that was killed
        app = web.Application()
        app.router.add_get("/status", self._status)
        app.router.add_post("/commands", self._command)
        app.router.add_post("/box-commands", self._box_command)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        old_umask = os.umask(0o177)
        try:
            await web.UnixSite(self._runner, str(self.path)).start()
        finally:
            os.umask(old_umask)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.path.unlink(missing_ok=True)

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response(self._daemon.status())

    async def _command(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            device_id, kind = str(body["device_id"]), str(body["type"])
            args = body.get("args") or {}
            if not isinstance(args, dict):
                raise TypeError("args must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "detail": f"bad request: {exc}"}, status=400)
        command = Command(kind, args, source=str(body.get("source", "cli")))
        result = await self._daemon.commands.dispatch(CommandRequest(device_id, command))
        return web.json_response({"ok": result.ok, "detail": result.detail, "data": result.data})

    async def _box_command(self, request: web.Request) -> web.Response:
        """A box-level command (broadcast, sync.now) from the CLI on the box."""
        try:
            body = await request.json()
            handler = self._daemon.box_commands[str(body["type"])]
        except (ValueError, KeyError, TypeError) as exc:
            known = ", ".join(sorted(self._daemon.box_commands)) or "none"
            return web.json_response({"ok": False, "detail": f"bad request: {exc} (known: {known})"}, status=400)
        try:
            data = await handler(body)
        except ValueError as exc:
            return web.json_response({"ok": False, "detail": str(exc)}, status=400)
        return web.json_response({"ok": True, "detail": "done", "data": data})
