"""Loading the policy from a real store: tombstones, malformed rows, local grants, change detection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from edge.access import LocalGrant, PolicyLoader, Reason, access_fingerprint, load_policy
from edge.access.loader import WARNINGS_PER_LOAD
from edge.store.database import open_database
from edge.store.writer import StoreWriter
from tests.access.conftest import Store, shanghai

MONDAY_NOON = shanghai(2025, 3, 3, 12)
EVERY_RESIDENT = LocalGrant(id="residents", subject={"category": "resident"}, gates=["*"])


def skipped(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "access.row_skipped"]


def test_tombstoned_resident_is_unknown(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    store.delete("resident", "alice")
    assert store.policy().decide("alice", "x", MONDAY_NOON).reason == Reason.UNKNOWN_PERSON
    store.resident("alice", category="resident")  # the district sends them again
    assert store.policy().decide("alice", "x", MONDAY_NOON).allowed


def test_tombstoned_grant_no_longer_applies(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    store.delete("grant", "g")
    policy = store.policy()
    assert policy.decide("alice", "x", MONDAY_NOON).reason == Reason.NO_GRANT
    assert (policy.resident_count, policy.grant_count) == (1, 0)


GOOD_GRANT: dict[str, Any] = {"subject": {"person_id": "alice"}, "gates": ["*"]}
MALFORMED_GRANTS = [
    ({**GOOD_GRANT, "window": [{"start": "07:00", "end": "08:00"}]}, "window: Unexpected keyword argument"),
    (
        {**GOOD_GRANT, "subject": {"person_id": "alice", "category": "resident"}},
        "subject: subject needs exactly one",
    ),
    ({**GOOD_GRANT, "subject": {}}, "subject: subject needs exactly one"),
    ({**GOOD_GRANT, "gates": []}, "gates: "),
    ({**GOOD_GRANT, "gates": "gate-north"}, "gates: "),
    (
        {**GOOD_GRANT, "windows": [{"start": "7:00", "end": "08:00"}]},
        "windows.0.start: String should match pattern",
    ),
    ({**GOOD_GRANT, "windows": [{"start": "07:00", "end": "24:00"}]}, "windows.0.end: "),
    ({**GOOD_GRANT, "windows": [{"start": "07:00", "end": "07:00"}]}, "start and end are the same"),
    ({**GOOD_GRANT, "windows": [{"days": [0, 3], "start": "07:00", "end": "08:00"}]}, "windows.0.days.0: "),
    ({**GOOD_GRANT, "windows": [{"days": [8], "start": "07:00", "end": "08:00"}]}, "windows.0.days.0: "),
    ({**GOOD_GRANT, "windows": [{"days": [], "start": "07:00", "end": "08:00"}]}, "windows.0.days: "),
    ({**GOOD_GRANT, "windows": [{"days": ["1"], "start": "07:00", "end": "08:00"}]}, "valid integer"),
    ({**GOOD_GRANT, "valid_until": "2025-06-01T00:00:00"}, "valid_until: "),  # no offset
    ({**GOOD_GRANT, "valid_until": 1767225600}, "valid_until: "),  # not RFC 3339
    (
        {**GOOD_GRANT, "valid_from": "2025-06-01T00:00:00Z", "valid_until": "2025-01-01T00:00:00Z"},
        "must be after",
    ),
]


@pytest.mark.parametrize(("data", "problem"), MALFORMED_GRANTS)
def test_malformed_grant_is_skipped_with_one_warning(
    store: Store, data: dict[str, Any], problem: str
) -> None:
    store.resident("alice", category="resident")
    store.grant("bad", **data)
    store.grant("good", subject={"person_id": "alice"}, gates=["gate-north"])
    with capture_logs() as logs:
        policy = store.policy()
    (warning,) = skipped(logs)
    assert warning["log_level"] == "warning" and warning["table"] == "grants" and warning["row_id"] == "bad"
    assert problem in warning["problem"]
    assert policy.grant_count == 1
    assert policy.decide("alice", "gate-north", MONDAY_NOON).grant_id == "good"
    assert policy.decide("alice", "door-b3-u2", MONDAY_NOON).reason == Reason.NO_GRANT


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"category": "resident"}, "name: Field required"),
        ({"name": "Alice", "suspended": "no"}, "suspended: Input should be a valid boolean"),
        ({"name": "Alice", "suspended": 0}, "suspended: "),
        ({"name": "Alice", "valid_until": "tomorrow"}, "valid_until: "),
        ({"name": 7}, "name: Input should be a valid string"),
        ("{not json", "Invalid JSON"),
        ("[1, 2]", "Input should be an object"),
        (42, "Input should be an object (got 42)"),  # TEXT affinity: stored as '42'
        (b'{"name": "Alice", "suspended": null}', "suspended: "),  # a BLOB is read as JSON too
    ],
)
def test_malformed_resident_is_skipped_with_one_warning(store: Store, data: Any, problem: str) -> None:
    store.raw("residents", "bad", data)
    store.resident("alice", category="resident")
    store.grant("g", subject={"category": "resident"}, gates=["*"])
    with capture_logs() as logs:
        policy = store.policy()
    (warning,) = skipped(logs)
    assert (warning["table"], warning["row_id"]) == ("residents", "bad")
    assert problem in warning["problem"]
    assert policy.decide("bad", "x", MONDAY_NOON).reason == Reason.UNKNOWN_PERSON
    assert policy.decide("alice", "x", MONDAY_NOON).allowed


def test_extra_resident_keys_are_fine(store: Store) -> None:
    store.resident("alice", category="resident", phone="13800000000", unit="3-2-501")
    store.grant("g", subject={"category": "resident"}, gates=["*"])
    with capture_logs() as logs:
        assert store.policy().decide("alice", "x", MONDAY_NOON).allowed
    assert skipped(logs) == []


def test_many_malformed_rows_are_named_up_to_a_limit_then_counted(store: Store) -> None:
    for n in range(WARNINGS_PER_LOAD + 5):
        store.grant(f"bad-{n:02}", gates=["*"])  # no subject
    with capture_logs() as logs:
        store.policy()
    assert len(skipped(logs)) == WARNINGS_PER_LOAD
    (summary,) = [entry for entry in logs if entry["event"] == "access.rows_skipped"]
    assert summary["skipped"] == WARNINGS_PER_LOAD + 5


def test_local_grants_work_before_the_district_has_sent_anything(store: Store) -> None:
    store.resident("alice", category="resident")  # enrolled on the box
    store.resident("vic", category="visitor")
    policy = store.policy([EVERY_RESIDENT])
    assert policy.decide("alice", "gate-north", MONDAY_NOON).grant_id == "local:residents"
    assert policy.decide("vic", "gate-north", MONDAY_NOON).reason == Reason.NO_GRANT


def test_local_and_district_grants_of_the_same_id_stay_apart(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant(
        "residents", subject={"category": "resident"}, gates=["*"], valid_until="2025-01-01T00:00:00Z"
    )
    local = LocalGrant(id="residents", subject={"category": "resident"}, gates=["gate-north"])
    policy = store.policy([local])
    assert policy.grant_count == 2
    assert policy.decide("alice", "gate-north", MONDAY_NOON).grant_id == "local:residents"
    assert policy.decide("alice", "door-b3-u2", MONDAY_NOON).grant_id == "residents"  # expired


def test_fingerprint_follows_content_not_timestamps(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    first = access_fingerprint(store.conn)
    assert access_fingerprint(store.conn) == first
    # Same row count, same updated_at (as after the clock stepped back): still seen.
    store.grant("g", subject={"person_id": "alice"}, gates=["gate-north"])
    second = access_fingerprint(store.conn)
    assert second != first
    store.delete("resident", "alice")  # a tombstone keeps the row count
    third = access_fingerprint(store.conn)
    assert third != second
    store.delete("resident", "alice")  # tombstoning again changes nothing
    assert access_fingerprint(store.conn) == third


def test_loader_reuses_its_policy_until_the_rows_change(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    loader = PolicyLoader([EVERY_RESIDENT], "Asia/Shanghai")
    policy = loader.refresh(store.conn)
    assert loader.refresh(store.conn) is policy
    assert policy.fingerprint == access_fingerprint(store.conn)
    store.resident("alice", category="resident", suspended=True)
    changed = loader.refresh(store.conn)
    assert changed is not policy and changed.decide("alice", "x", MONDAY_NOON).reason == Reason.SUSPENDED


def test_loader_warns_about_a_malformed_row_once_until_it_changes(store: Store) -> None:
    store.grant("bad", gates=["*"])
    loader = PolicyLoader([], "Asia/Shanghai")
    with capture_logs() as logs:
        loader.refresh(store.conn)
        store.resident("alice", category="resident")  # something else changes: reload
        loader.refresh(store.conn)
        assert len(skipped(logs)) == 1
        store.grant("bad", gates=["*"], windows=[])  # the bad row changes, still bad
        loader.refresh(store.conn)
    assert len(skipped(logs)) == 2


def test_loads_through_a_read_only_connection(store: Store, tmp_path: Path) -> None:
    store.resident("alice", category="resident")
    reader = open_database(store.path, readonly=True)
    try:
        policy = load_policy(reader, [EVERY_RESIDENT], "Asia/Shanghai")
        assert policy.decide("alice", "x", MONDAY_NOON).allowed
        assert not reader.in_transaction  # its read transaction is closed again
    finally:
        reader.close()


async def test_loads_inside_a_writer_job(tmp_path: Path) -> None:
    async with StoreWriter(tmp_path / "events.db") as writer:
        await writer.run(
            lambda conn: conn.execute(
                "INSERT INTO residents (id, data, updated_at) VALUES ('alice', ?, '2025-03-01T00:00:00.000Z')",
                ('{"name": "Alice", "category": "resident"}',),
            )
        )
        policy = await writer.run(lambda conn: load_policy(conn, [EVERY_RESIDENT], "Asia/Shanghai"))
    assert policy.decide("alice", "x", MONDAY_NOON).allowed
