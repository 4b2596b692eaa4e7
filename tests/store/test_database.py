"""Opening and migrating the database; refusing what cannot be used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.store import EventReader, StoreError, open_database
from edge.store.database import migrations


def test_migrations_are_numbered_and_applied(tmp_path: Path) -> None:
    shipped = migrations()
    assert [n for n, _, _ in shipped] == list(range(1, len(shipped) + 1))
    conn = open_database(tmp_path / "e.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(shipped)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "outbox", "media", "meta"} <= tables
    conn.close()
    again = open_database(tmp_path / "e.db")  # idempotent
    assert again.execute("PRAGMA user_version").fetchone()[0] == len(shipped)
    again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "e.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreError, match="newer than this software"):
        open_database(tmp_path / "e.db")


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "e.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a database"):
        open_database(tmp_path / "e.db")


def test_reader_on_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no event store"):
        EventReader(tmp_path / "missing.db")
