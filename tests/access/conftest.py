"""Fixtures for the access-policy tests: a real, migrated store in tmp_path, written as the downlink writes it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from edge.access import AccessPolicy, LocalGrant, load_policy
from edge.downlink.page import Change
from edge.downlink.tables import apply_change
from edge.store.database import open_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = "2025-03-01T00:00:00.000Z"


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock time at the site (Asia/Shanghai, UTC+8 all year)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class Store:
    """The residents and grants tables of a real store file, filled through the downlink's own writer code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = open_database(path)  # creates the schema through the shipped migrations

    def resident(self, person_id: str, **data: Any) -> None:
        self.upsert("resident", person_id, {"name": person_id.title(), **data})

    def grant(self, grant_id: str, **data: Any) -> None:
        self.upsert("grant", grant_id, data)

    def upsert(self, kind: str, id_: str, data: dict[str, Any]) -> None:
        apply_change(self.conn, Change(kind, "upsert", id_, data), NOW)

    def delete(self, kind: str, id_: str) -> None:
        apply_change(self.conn, Change(kind, "delete", id_), NOW)

    def raw(self, table: str, id_: str, data: Any) -> None:
        """A row the downlink would never write (not an object, not JSON...)."""
        self.conn.execute(
            f"INSERT OR REPLACE INTO {table} (id, data, updated_at, deleted) VALUES (?, ?, ?, 0)",
            (id_, data if not isinstance(data, dict) else json.dumps(data), NOW),
        )

    def policy(self, local_grants: Iterable[LocalGrant] = ()) -> AccessPolicy:
        return load_policy(self.conn, local_grants, "Asia/Shanghai")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "events.db")
    yield opened
    opened.conn.close()
