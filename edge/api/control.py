"""The control socket: HTTP over a Unix socket in the data dir, for the ``edge`` CLI on the box.

Only the daemon's own user (and root) can open it (mode 0600), so it needs no
password, and whoever sends a command here is the CLI (caller ``cli``).
``GET /status`` gives device health; ``POST /commands`` runs a device command and
``POST /box-commands`` a box command (broadcast, sync.now). Bodies are parsed by
:func:`edge.commands.parse_command` (flat form allowed); one naming a
``"source"`` is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aiohttp import web

from edge.api.box import Box
from edge.commands import BoxCommandRejected, Caller, CommandRequest, MalformedCommand, parse_command

_MAX_SOCKET_PATH = 107
_CLI = Caller.cli()


class ControlServer:
    def __init__(self, box: Box, path: Path) -> None:
        self._box = box
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
        return web.json_response(self._box.status())

    async def _command(self, request: web.Request) -> web.Response:
        """A device command from the CLI on the box."""
        try:
            command = await _parse(request)
            if command.device_id is None:
                raise MalformedCommand('"device_id" is required')
        except MalformedCommand as exc:
            return _bad_request(str(exc))
        result = await self._box.commands.dispatch(command)
        return web.json_response({"ok": result.ok, "detail": result.detail, "data": result.data})

    async def _box_command(self, request: web.Request) -> web.Response:
        """A box command (broadcast, sync.now) from the CLI on the box."""
        known = self._box.commands.box_command_types
        try:
            command = await _parse(request)
            if command.type not in known:
                raise MalformedCommand(f"unknown box command {command.type!r}")
            if command.device_id is not None:
                raise MalformedCommand(f'{command.type!r} is a box command: leave out "device_id"')
        except MalformedCommand as exc:
            return _bad_request(f"{exc} (known: {', '.join(known) or 'none'})")
        try:
            result = await self._box.commands.dispatch(command)
        except BoxCommandRejected as exc:
            return web.json_response({"ok": False, "detail": str(exc)}, status=400)
        return web.json_response({"ok": result.ok, "detail": result.detail, "data": result.data})


async def _parse(request: web.Request) -> CommandRequest:
    try:
        body: Any = await request.json()
    except ValueError as exc:
        raise MalformedCommand(str(exc)) from None
    return parse_command(body, _CLI, flat=True)


def _bad_request(message: str) -> web.Response:
    return web.json_response({"ok": False, "detail": f"bad request: {message}"}, status=400)
