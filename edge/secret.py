"""Secrets in config: never written in the file, always fetched from the environment or a file.

A leaf module (it imports nothing of ``edge``), so every package's config
section can declare a ``Secret`` field without importing ``edge.config``, which
assembles those sections.

In TOML a secret is ``token = { env = "EDGE_UPLINK_TOKEN" }`` or
``token = { file = "/etc/community-edge/uplink.token" }``. It is resolved while
the config is validated, held as a pydantic ``SecretStr`` (which prints as
``'**********'``), and a literal string is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr, WithJsonSchema


def _resolve(value: Any) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    if isinstance(value, str):
        raise ValueError(
            'secrets are not written in the config: use { env = "NAME" } or { file = "/path" }'
        )
    if not isinstance(value, dict) or len(value) != 1 or not ({"env", "file"} >= value.keys()):
        raise ValueError('a secret is { env = "NAME" } or { file = "/path" }')
    if "env" in value:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return SecretStr(os.environ[name])
    path = Path(str(value["file"]))
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None


_SCHEMA = {
    "title": "Secret",
    "description": "Read from an environment variable or a file, never written in the config.",
    "oneOf": [
        {"type": "object", "properties": {"env": {"type": "string"}}, "required": ["env"],
         "additionalProperties": False},
        {"type": "object", "properties": {"file": {"type": "string"}}, "required": ["file"],
         "additionalProperties": False},
    ],
}

Secret = Annotated[SecretStr, BeforeValidator(_resolve), WithJsonSchema(_SCHEMA)]
