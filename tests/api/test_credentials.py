"""The console's stored login: generated once, private on disk, verifiable after a restart, resettable."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from edge.api.credentials import ConsoleCredentials, ConsoleCredentialsError

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def creds(secrets_dir: Path, hasher: PasswordHasher = FAST) -> ConsoleCredentials:
    return ConsoleCredentials(secrets_dir, hasher=hasher)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def initial_password(c: ConsoleCredentials) -> str:
    return c.initial_password_file.read_text().strip()


def test_first_ensure_generates_once_and_persists(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    first = creds(secrets_dir)
    assert first.ensure() is True
    password = initial_password(first)
    record = json.loads(first.path.read_text())
    assert first.ensure() is False
    assert initial_password(first) == password
    assert json.loads(first.path.read_text()) == record

    restarted = creds(secrets_dir)
    assert restarted.ensure() is False
    assert restarted.verify("admin", password)
    assert record["username"] == "admin" and record["hash"].startswith("$argon2")
    assert record["created_at"].endswith("Z")
    assert password not in first.path.read_text()


def test_files_are_private_and_written_without_leftovers(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    c = creds(secrets_dir)
    c.ensure()
    assert mode(secrets_dir) == 0o700
    assert mode(c.path) == 0o600
    assert mode(c.initial_password_file) == 0o600
    assert sorted(p.name for p in secrets_dir.iterdir()) == ["console-initial-password", "console.json"]


def test_loose_directory_mode_is_tightened(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o755)
    creds(secrets_dir).ensure()
    assert mode(secrets_dir) == 0o700


def test_password_is_random_not_a_default(tmp_path: Path) -> None:
    a, b = creds(tmp_path / "a"), creds(tmp_path / "b")
    a.ensure()
    b.ensure()
    assert initial_password(a) != initial_password(b)
    assert len(initial_password(a)) >= 16


def test_wrong_password_or_user_is_refused(tmp_path: Path) -> None:
    c = creds(tmp_path)
    c.ensure()
    password = initial_password(c)
    assert not c.verify("admin", password + "x")
    assert not c.verify("root", password)
    assert not c.verify("admin", "")


def test_set_password_replaces_it_and_removes_the_initial_file(tmp_path: Path) -> None:
    c = creds(tmp_path)
    c.ensure()
    old = initial_password(c)
    created_at = json.loads(c.path.read_text())["created_at"]
    c.set_password("correct horse battery")
    assert not c.initial_password_file.exists()
    assert c.verify("admin", "correct horse battery")
    assert not c.verify("admin", old)
    record = json.loads(c.path.read_text())
    assert record["created_at"] == created_at and "changed_at" in record
    assert mode(c.path) == 0o600
    assert creds(tmp_path).ensure() is False  # a changed password is not regenerated


def test_set_password_refuses_a_short_one(tmp_path: Path) -> None:
    c = creds(tmp_path)
    c.ensure()
    with pytest.raises(ValueError, match="at least 8"):
        c.set_password("short")


def test_old_hash_parameters_are_upgraded_on_login(tmp_path: Path) -> None:
    creds(tmp_path).ensure()
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    c = creds(tmp_path, stronger)
    old_hash = json.loads(c.path.read_text())["hash"]
    assert c.verify("admin", initial_password(c))
    new_hash = json.loads(c.path.read_text())["hash"]
    assert new_hash != old_hash and not stronger.check_needs_rehash(new_hash)
    assert c.verify("admin", initial_password(c))


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"username": "admin"}', '{"username": "admin", "hash": "plaintext"}', "\xff"],
)
def test_corrupt_file_gives_a_clear_error(tmp_path: Path, content: str) -> None:
    c = creds(tmp_path)
    c.ensure()
    c.path.write_text(content, encoding="latin-1")
    for call in (c.ensure, lambda: c.verify("admin", "whatever")):
        with pytest.raises(ConsoleCredentialsError) as info:
            call()
        assert str(c.path) in str(info.value)
        assert "edge console reset-password" in str(info.value)
        assert info.value.path == c.path


def test_reset_recovers_from_a_corrupt_file(tmp_path: Path) -> None:
    c = creds(tmp_path)
    c.ensure()
    old = initial_password(c)
    c.path.write_text("garbage")
    new = c.reset()
    assert new != old
    assert initial_password(c) == new
    assert c.verify("admin", new)
    assert c.ensure() is False


def test_verify_without_credentials_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConsoleCredentialsError, match="does not exist"):
        creds(tmp_path).verify("admin", "x")
