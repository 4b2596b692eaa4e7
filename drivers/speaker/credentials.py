"""Secrets for speaker drivers: named in the config, read from the environment at connect.

The config never holds a password or token, only the name of the environment
variable that does (``password_env``, ``token_env``); the value is read each
time the driver connects, so a rotated secret takes effect at the next
reconnect.
"""

from __future__ import annotations

import os

from drivers.base import DriverError

#: what an environment variable name may look like, for the config fields that name one
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


def secret_from_env(name: str | None, field: str) -> str | None:
    """The value of the variable ``name`` (None: no secret); DriverError naming ``field`` if it is unset."""
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None:
        raise DriverError(f"environment variable {name} (named by {field}) is not set")
    return value
