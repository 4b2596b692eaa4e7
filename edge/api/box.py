"""What the API servers read of the box and ask of it: the one seam between ``edge.api`` and the daemon.

The control socket, the console and the sync API mounted on it take a
:class:`Box`, not the daemon: ``status()`` for ``GET /status`` and the health
summary, the command router every command goes through, the event store's
path (read in threads, beside its writer), the media store, and the box token
the district presents. The daemon (``edge.daemon.app.Daemon``) is one; tests
build a small one of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

from edge.commands import CommandRouter
from edge.store.media import MediaStore


class Box(Protocol):
    @property
    def commands(self) -> CommandRouter:
        """Runs device and box commands and records their ``command.result``."""
        ...

    @property
    def store_path(self) -> Path:
        """The SQLite event store (``events.db``), for read-only readers."""
        ...

    @property
    def media(self) -> MediaStore: ...

    @property
    def box_token(self) -> SecretStr | None:
        """The box token the district sends as ``Authorization: Bearer``; None: no uplink."""
        ...

    def status(self) -> dict[str, Any]:
        """What ``edge status`` prints: box, version, store, devices and their counts, services."""
        ...
