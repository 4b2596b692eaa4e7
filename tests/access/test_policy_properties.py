"""Properties: no grant JSON can make decide() raise; windows mean what they say; more grants never refuse more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from edge.access import GrantData, Reason, ResidentData, load_policy
from edge.access.policy import AccessPolicy, Grant
from edge.access.schema import TimeWindow, grant_json
from tests.access.conftest import SHANGHAI, Store

PEOPLE = ["alice", "bob", "carol"]
HOUSEHOLDS = ["h-1", "h-2"]
CATEGORIES = ["resident", "staff"]
GATES = ["gate-north", "gate-south", "door-b3-u2"]
ZONES = [UTC, SHANGHAI, timezone(timedelta(hours=-11)), timezone(timedelta(hours=14))]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
decision_time = st.builds(
    lambda at, zone: at.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(ZONES),
)


def _hh_mm(minute: int) -> str:
    return f"{minute // 60:02}:{minute % 60:02}"


# --- grants that parse -------------------------------------------------------------------------
valid_window = st.builds(
    lambda days, start, length: TimeWindow(
        days=days, start=_hh_mm(start), end=_hh_mm((start + length) % 1440)
    ),
    st.lists(st.integers(1, 7), min_size=1, max_size=7),
    st.integers(0, 1439),
    st.integers(1, 1439),
)
valid_grant = st.builds(
    lambda key, value, gates, windows, bounds: GrantData(
        subject={key: value}, gates=gates, windows=windows, valid_from=bounds[0], valid_until=bounds[1]
    ),
    st.sampled_from(["person_id", "household_id", "category"]),
    st.sampled_from(PEOPLE + HOUSEHOLDS + CATEGORIES),
    st.lists(st.sampled_from(["*", *GATES]), min_size=1, max_size=2),
    st.lists(valid_window, max_size=2),
    st.one_of(
        st.just((None, None)),
        st.just((None, None)),
        st.tuples(decision_time, st.integers(1, 10**7)).map(lambda p: (p[0], p[0] + timedelta(minutes=p[1]))),
    ),
)
valid_grant_json = valid_grant.map(lambda grant: json.loads(grant_json(grant)))

# --- grants that almost parse, and anything at all ------------------------------------------------
GRANT_PATHS = [
    "subject",
    "subject.person_id",
    "gates",
    "gates.0",
    "windows",
    "windows.0",
    "windows.0.days",
    "windows.0.start",
    "windows.0.end",
    "valid_from",
    "valid_until",
    "note",
]
near_miss_value = st.one_of(
    json_values,
    st.builds("{:02}:{:02}".format, st.integers(0, 99), st.integers(0, 99)),
    st.lists(st.integers(-1, 9), max_size=8),
    st.datetimes().map(datetime.isoformat),  # no offset
    st.sampled_from(["", "*", "2025-13-01T00:00:00Z", "0001-01-01T00:00:00+14:00"]),
)


def _set_path(data: Any, path: str, value: Any) -> Any:
    """``data`` with the value at a dotted path replaced (or added), where the path exists far enough."""
    head, _, rest = path.partition(".")
    if isinstance(data, list):
        if not data or not head.isdigit():
            return data
        return [_set_path(data[0], rest, value) if rest else value, *data[1:]]
    if not isinstance(data, dict):
        return data
    return {**data, head: _set_path(data.get(head), rest, value) if rest else value}


near_miss_grant = st.builds(_set_path, valid_grant_json, st.sampled_from(GRANT_PATHS), near_miss_value)
grant_text = st.one_of(
    *[valid_grant_json.map(json.dumps)] * 3,
    near_miss_grant.map(json.dumps),
    json_values.map(json.dumps),
    st.text(),
)
good_resident = st.fixed_dictionaries(
    {"name": st.text(max_size=5)},
    optional={
        "household_id": st.sampled_from(HOUSEHOLDS),
        "category": st.sampled_from(CATEGORIES),
        "suspended": st.sampled_from([False, False, False, True]),
        "valid_until": decision_time.map(datetime.isoformat),
    },
)
resident_text = st.one_of(
    good_resident.map(json.dumps),
    st.builds(
        lambda data, key, value: json.dumps({**data, key: value}),
        good_resident,
        st.sampled_from(["name", "household_id", "category", "suspended", "valid_until"]),
        near_miss_value,
    ),
    json_values.map(json.dumps),
    st.text(),
)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store(tmp_path_factory.mktemp("access-properties") / "events.db")
    opened.conn.execute("PRAGMA synchronous = OFF")  # only speed: each example rewrites the tables
    yield opened
    opened.conn.close()


def replace_rows(store: Store, residents: tuple[str, ...], grants: list[str]) -> None:
    conn = store.conn
    conn.execute("BEGIN")
    conn.execute("DELETE FROM residents")
    conn.execute("DELETE FROM grants")
    conn.executemany(
        "INSERT INTO residents (id, data, updated_at) VALUES (?, ?, 'x')",
        zip(PEOPLE, residents, strict=True),
    )
    conn.executemany(
        "INSERT INTO grants (id, data, updated_at) VALUES (?, ?, 'x')",
        [(f"g{n}", text) for n, text in enumerate(grants)],
    )
    conn.execute("COMMIT")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    residents=st.tuples(good_resident.map(json.dumps), good_resident.map(json.dumps), resident_text),
    grants=st.lists(grant_text, max_size=6),
    at=decision_time,
)
def test_decide_never_raises_whatever_the_rows(
    shared_store: Store, residents: tuple[str, str, str], grants: list[str], at: datetime
) -> None:
    replace_rows(shared_store, residents, grants)
    with capture_logs():
        policy = load_policy(shared_store.conn, [], "Asia/Shanghai")
    for person in [*PEOPLE, "stranger"]:
        for gate in GATES:
            decision = policy.decide(person, gate, at)
            assert decision.reason in set(Reason)
            assert decision.allowed == (decision.reason == Reason.GRANTED)
            assert decision.grant_id is None or decision.grant_id in {f"g{n}" for n in range(len(grants))}
            assert not decision.allowed or decision.grant_id is not None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    days=st.sets(st.integers(1, 7), min_size=1),
    start=st.integers(0, 1439),
    end=st.integers(0, 1439),
    local=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_window_is_a_stretch_of_the_week_from_each_day_at_start(
    days: set[int], start: int, end: int, local: datetime
) -> None:
    assume(start != end)
    window = TimeWindow(days=sorted(days), start=_hh_mm(start), end=_hh_mm(end))
    minute_of_week = (local.isoweekday() - 1) * 1440 + local.hour * 60 + local.minute
    length = (end - start) % 1440
    expected = any((minute_of_week - ((day - 1) * 1440 + start)) % (7 * 1440) < length for day in days)
    assert window.contains(local) == expected


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    grants=st.lists(valid_grant, max_size=5),
    more=st.lists(valid_grant, min_size=1, max_size=3),
    at=decision_time,
)
def test_adding_grants_never_refuses_someone_who_was_let_through(
    grants: list[GrantData], more: list[GrantData], at: datetime
) -> None:
    residents = {
        "alice": ResidentData(name="Alice", household_id="h-1", category="resident"),
        "bob": ResidentData(name="Bob", household_id="h-2", category="staff"),
    }
    before = AccessPolicy(residents, [Grant(f"g{n}", g) for n, g in enumerate(grants)], "Asia/Shanghai")
    after = AccessPolicy(residents, [Grant(f"g{n}", g) for n, g in enumerate(grants + more)], "Asia/Shanghai")
    for person in residents:
        for gate in GATES:
            if before.decide(person, gate, at).allowed:
                assert after.decide(person, gate, at).allowed
