"""Residents enrolled on the box: written through the store's one writer, read back by the policy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from edge.access import LocalGrant, Reason, delete_resident, load_policy, upsert_local_resident
from edge.store.writer import StoreWriter
from tests.access.conftest import shanghai

NOW = "2025-03-01T08:00:00.000Z"
LATER = "2025-03-02T08:00:00.000Z"
EVERY_RESIDENT = LocalGrant(id="residents-all-gates", subject={"category": "resident"}, gates=["*"])


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[StoreWriter]:
    async with StoreWriter(tmp_path / "events.db") as store:
        yield store


async def row(writer: StoreWriter, person_id: str) -> tuple[dict[str, Any], str, int] | None:
    found = await writer.run(
        lambda conn: conn.execute(
            "SELECT data, updated_at, deleted FROM residents WHERE id = ?", (person_id,)
        ).fetchone()
    )
    return None if found is None else (json.loads(found[0]), found[1], found[2])


async def test_enrolled_resident_passes_with_the_local_grant(writer: StoreWriter) -> None:
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "王小明", "resident", NOW))
    assert await row(writer, "p-7") == ({"name": "王小明", "category": "resident"}, NOW, 0)
    policy = await writer.run(lambda conn: load_policy(conn, [EVERY_RESIDENT], "Asia/Shanghai"))
    decision = policy.decide("p-7", "gate-north", shanghai(2025, 3, 3, 12))
    assert decision.allowed and decision.grant_id == "local:residents-all-gates"


async def test_upsert_keeps_the_other_keys(writer: StoreWriter) -> None:
    district = {
        "name": "Old",
        "household_id": "h-301",
        "category": "tenant",
        "phone": "138",
        "suspended": True,
    }
    await writer.run(
        lambda conn: conn.execute(
            "INSERT INTO residents (id, data, updated_at) VALUES ('p-7', ?, ?)", (json.dumps(district), NOW)
        )
    )
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "New", "resident", LATER))
    assert await row(writer, "p-7") == ({**district, "name": "New", "category": "resident"}, LATER, 0)
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "Newer", None, LATER))  # category kept
    data, _, _ = await row(writer, "p-7")  # type: ignore[misc]
    assert (data["name"], data["category"], data["household_id"]) == ("Newer", "resident", "h-301")


async def test_new_resident_without_category_has_none(writer: StoreWriter) -> None:
    await writer.run(lambda conn: upsert_local_resident(conn, "p-8", "Ann", None, NOW))
    assert await row(writer, "p-8") == ({"name": "Ann"}, NOW, 0)
    policy = await writer.run(lambda conn: load_policy(conn, [EVERY_RESIDENT], "Asia/Shanghai"))
    assert policy.decide("p-8", "gate-north", shanghai(2025, 3, 3, 12)).reason == Reason.NO_GRANT


async def test_delete_leaves_a_tombstone(writer: StoreWriter) -> None:
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "Ann", "resident", NOW))
    assert await writer.run(lambda conn: delete_resident(conn, "p-7", LATER)) is True
    assert await row(writer, "p-7") == ({}, LATER, 1)
    assert await writer.run(lambda conn: delete_resident(conn, "p-7", LATER)) is False  # already gone
    assert await writer.run(lambda conn: delete_resident(conn, "nobody", LATER)) is False
    assert await row(writer, "nobody") is None
    policy = await writer.run(lambda conn: load_policy(conn, [EVERY_RESIDENT], "Asia/Shanghai"))
    assert policy.decide("p-7", "gate-north", shanghai(2025, 3, 3, 12)).reason == Reason.UNKNOWN_PERSON


async def test_enrolling_a_tombstoned_resident_starts_afresh(writer: StoreWriter) -> None:
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "Ann", "resident", NOW))
    await writer.run(lambda conn: delete_resident(conn, "p-7", NOW))
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "Ann", None, LATER))
    assert await row(writer, "p-7") == ({"name": "Ann"}, LATER, 0)


async def test_unreadable_existing_data_is_replaced(writer: StoreWriter) -> None:
    await writer.run(
        lambda conn: conn.execute(
            "INSERT INTO residents (id, data, updated_at) VALUES ('p-7', '[1]', ?)", (NOW,)
        )
    )
    await writer.run(lambda conn: upsert_local_resident(conn, "p-7", "Ann", "staff", LATER))
    assert await row(writer, "p-7") == ({"name": "Ann", "category": "staff"}, LATER, 0)


@pytest.mark.parametrize(("person_id", "name"), [("", "Ann"), ("p-7", " ")])
async def test_blank_id_or_name_writes_nothing(writer: StoreWriter, person_id: str, name: str) -> None:
    with pytest.raises(ValueError, match="blank"):
        await writer.run(lambda conn: upsert_local_resident(conn, person_id, name, "resident", NOW))
    assert await writer.run(lambda conn: conn.execute("SELECT count(*) FROM residents").fetchone()[0]) == 0
