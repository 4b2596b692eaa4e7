"""The console's login: one user, ``admin``, whose argon2 hash lives in ``<data>/secrets/console.json``.

There is no default password. The first start generates a random one, stores
its hash, and leaves the plaintext in ``console-initial-password`` so the
technician can ``cat`` it once; setting a new password deletes that file.
Both files are 0600 in a 0700 directory and are replaced atomically.

Every method blocks (argon2 is deliberately slow, and files are read on each
call so a reset from the CLI takes effect at once): the console server calls
them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from edge.durable_files import write_atomically

USERNAME = "admin"
MIN_PASSWORD_LENGTH = 8
RESET_HINT = "run `edge console reset-password` to set a new one"


class ConsoleCredentialsError(Exception):
    """The credentials file is missing, unreadable or corrupt; the message says which file and what to do."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"console credentials {path}: {problem}; {RESET_HINT}")
        self.path = path


class ConsoleCredentials:
    def __init__(self, secrets_dir: Path, hasher: PasswordHasher | None = None) -> None:
        self.secrets_dir = secrets_dir
        self.path = secrets_dir / "console.json"
        self._hasher = hasher or PasswordHasher()

    @property
    def initial_password_file(self) -> Path:
        return self.secrets_dir / "console-initial-password"

    def ensure(self) -> bool:
        """Create the credentials if there are none; True if a password was just generated."""
        self._prepare_dir()
        if self.path.exists():
            self._load()  # fail now, at start, rather than at the first login
            return False
        self.reset()
        return True

    def reset(self) -> str:
        """Generate a new random password, whatever state the file is in; return it."""
        self._prepare_dir()
        password = secrets.token_urlsafe(12)
        # The plaintext first: a crash in between leaves no hash, so the next start generates again.
        _write_private(self.initial_password_file, password + "\n")
        self._store(self._hasher.hash(password), created_at=_now())
        return password

    def verify(self, username: str, password: str) -> bool:
        """True if both match. The hash is checked even for a wrong user, so timing tells nothing."""
        record = self._load()
        user_ok = hmac.compare_digest(username.encode(), record["username"].encode())
        try:
            self._hasher.verify(record["hash"], password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError) as exc:
            raise ConsoleCredentialsError(self.path, f"the stored hash is unusable ({exc})") from None
        if not user_ok:
            return False
        if self._hasher.check_needs_rehash(record["hash"]):
            self._store(self._hasher.hash(password), created_at=record.get("created_at", _now()))
        return True

    def set_password(self, new: str) -> None:
        if len(new) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        self._prepare_dir()
        created_at = _now()
        with contextlib.suppress(ConsoleCredentialsError):
            created_at = self._load().get("created_at", created_at)
        self._store(self._hasher.hash(new), created_at=created_at, changed_at=_now())
        self.initial_password_file.unlink(missing_ok=True)

    def _prepare_dir(self) -> None:
        self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.secrets_dir, 0o700)

    def _store(self, password_hash: str, **times: str) -> None:
        record = {"username": USERNAME, "hash": password_hash, **times}
        _write_private(self.path, json.dumps(record, indent=2) + "\n")

    def _load(self) -> dict[str, Any]:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConsoleCredentialsError(self.path, "the file does not exist") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConsoleCredentialsError(self.path, f"cannot be read as JSON ({exc})") from None
        if not isinstance(record, dict):
            raise ConsoleCredentialsError(self.path, "expected a JSON object")
        for key in ("username", "hash"):
            if not isinstance(record.get(key), str) or not record[key]:
                raise ConsoleCredentialsError(self.path, f"{key!r} is missing or not a string")
        if not record["hash"].startswith("$argon2"):
            raise ConsoleCredentialsError(self.path, "'hash' is not an argon2 hash")
        return record


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` with mode 0600, atomically."""
    write_atomically(path, text.encode("utf-8"), mode=0o600)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
