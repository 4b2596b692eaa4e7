"""AccessPolicy.decide: every reason, subjects, gates, validity and time windows in the site's zone.

The week used: 2025-03-03 is a Monday, 2025-03-07 a Friday, 2025-03-09 a Sunday (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edge.access import AccessDecision, Reason, load_policy
from tests.access.conftest import Store, shanghai

WEEKDAYS_DAYTIME = [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "22:00"}]
FRIDAY_NIGHT = [{"days": [5], "start": "22:00", "end": "06:00"}]


def refused(reason: Reason, grant_id: str | None = None) -> AccessDecision:
    return AccessDecision(False, reason, grant_id)


def granted(grant_id: str) -> AccessDecision:
    return AccessDecision(True, Reason.GRANTED, grant_id)


def test_unknown_person(store: Store) -> None:
    store.grant("g", subject={"category": "resident"}, gates=["*"])
    assert store.policy().decide("nobody", "gate-north", shanghai(2025, 3, 3, 12)) == refused(
        Reason.UNKNOWN_PERSON
    )


def test_suspended_resident_is_refused_whatever_the_grants(store: Store) -> None:
    store.resident("alice", category="resident", suspended=True)
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    assert store.policy().decide("alice", "gate-north", shanghai(2025, 3, 3, 12)) == refused(Reason.SUSPENDED)


def test_resident_valid_until_is_exclusive(store: Store) -> None:
    store.resident("carol", category="resident", valid_until="2025-03-05T18:00:00+08:00")
    store.grant("g", subject={"category": "resident"}, gates=["*"])
    policy = store.policy()
    assert policy.decide("carol", "gate-north", shanghai(2025, 3, 5, 17, 59, 59)) == granted("g")
    assert policy.decide("carol", "gate-north", shanghai(2025, 3, 5, 18)) == refused(Reason.RESIDENT_EXPIRED)
    assert policy.decide("carol", "gate-north", datetime(2025, 3, 5, 10, tzinfo=UTC)) == refused(
        Reason.RESIDENT_EXPIRED
    )  # 18:00 in Shanghai


def test_no_grant_for_this_gate(store: Store) -> None:
    store.resident("alice", category="resident")
    store.resident("dave", category="staff")
    store.grant("g", subject={"person_id": "alice"}, gates=["gate-north", "door-b3-u2"])
    policy = store.policy()
    assert policy.decide("alice", "gate-north", shanghai(2025, 3, 3, 12)) == granted("g")
    assert policy.decide("alice", "gate-south", shanghai(2025, 3, 3, 12)) == refused(Reason.NO_GRANT)
    assert policy.decide("dave", "gate-north", shanghai(2025, 3, 3, 12)) == refused(Reason.NO_GRANT)


def test_star_is_every_gate(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"])
    policy = store.policy()
    for gate in ("gate-north", "gate-south", "door-b3-u2"):
        assert policy.decide("alice", gate, shanghai(2025, 3, 3, 12)) == granted("g")


def test_household_subject_covers_everyone_in_it(store: Store) -> None:
    store.resident("alice", household_id="h-301", category="resident")
    store.resident("alan", household_id="h-301", category="visitor")
    store.resident("bob", household_id="h-302", category="resident")
    store.resident("nina")  # no household, no category
    store.grant("g-301", subject={"household_id": "h-301"}, gates=["door-b3-u2"])
    policy = store.policy()
    at = shanghai(2025, 3, 3, 12)
    assert policy.decide("alice", "door-b3-u2", at) == granted("g-301")
    assert policy.decide("alan", "door-b3-u2", at) == granted("g-301")
    assert policy.decide("bob", "door-b3-u2", at) == refused(Reason.NO_GRANT)
    assert policy.decide("nina", "door-b3-u2", at) == refused(Reason.NO_GRANT)


def test_category_subject(store: Store) -> None:
    store.resident("alice", category="resident")
    store.resident("tom", category="tenant")
    store.grant("g", subject={"category": "tenant"}, gates=["gate-north"])
    policy = store.policy()
    assert policy.decide("tom", "gate-north", shanghai(2025, 3, 3, 12)) == granted("g")
    assert policy.decide("alice", "gate-north", shanghai(2025, 3, 3, 12)) == refused(Reason.NO_GRANT)


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (shanghai(2025, 3, 3, 6, 59, 59), False),  # Monday, before
        (shanghai(2025, 3, 3, 7), True),  # start is inclusive
        (shanghai(2025, 3, 7, 21, 59, 59), True),  # Friday
        (shanghai(2025, 3, 7, 22), False),  # end is exclusive
        (shanghai(2025, 3, 8, 12), False),  # Saturday
        (datetime(2025, 3, 2, 23, 30, tzinfo=UTC), True),  # Sunday in UTC, Monday 07:30 at the site
        (datetime(2025, 3, 7, 23, 30, tzinfo=UTC), False),  # Friday in UTC, Saturday 07:30 at the site
    ],
)
def test_daytime_window_on_weekdays(store: Store, at: datetime, allowed: bool) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"category": "resident"}, gates=["*"], windows=WEEKDAYS_DAYTIME)
    expected = granted("g") if allowed else refused(Reason.OUTSIDE_HOURS, "g")
    assert store.policy().decide("alice", "gate-north", at) == expected


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (shanghai(2025, 3, 7, 21, 59), False),  # Friday evening, before
        (shanghai(2025, 3, 7, 22), True),  # Friday 22:00
        (shanghai(2025, 3, 8, 0, 0), True),  # past midnight: Saturday, still Friday's window
        (shanghai(2025, 3, 8, 5, 59, 59), True),
        (shanghai(2025, 3, 8, 6), False),  # Saturday 06:00: over
        (shanghai(2025, 3, 7, 3), False),  # Friday 03:00 belongs to Thursday night, not granted
        (shanghai(2025, 3, 8, 23), False),  # Saturday night is not Friday night
        (datetime(2025, 3, 7, 14, 0, tzinfo=UTC), True),  # 22:00 at the site
        (datetime(2025, 3, 7, 22, 0, tzinfo=UTC), False),  # Saturday 06:00 at the site
    ],
)
def test_window_across_midnight_belongs_to_the_day_it_starts(
    store: Store, at: datetime, allowed: bool
) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["gate-north"], windows=FRIDAY_NIGHT)
    expected = granted("g") if allowed else refused(Reason.OUTSIDE_HOURS, "g")
    assert store.policy().decide("alice", "gate-north", at) == expected


def test_window_across_midnight_wraps_from_sunday_to_monday(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant(
        "g",
        subject={"person_id": "alice"},
        gates=["*"],
        windows=[{"days": [7], "start": "23:00", "end": "01:00"}],
    )
    policy = store.policy()
    assert policy.decide("alice", "g1", shanghai(2025, 3, 9, 23, 30)).allowed  # Sunday
    assert policy.decide("alice", "g1", shanghai(2025, 3, 10, 0, 30)).allowed  # Monday, Sunday's window
    assert not policy.decide("alice", "g1", shanghai(2025, 3, 9, 0, 30)).allowed  # Sunday early: Saturday's


def test_several_windows_any_one_is_enough(store: Store) -> None:
    store.resident("alice", category="resident")
    windows = [{"start": "06:00", "end": "08:00"}, {"days": [6, 7], "start": "10:00", "end": "12:00"}]
    store.grant("g", subject={"person_id": "alice"}, gates=["*"], windows=windows)
    policy = store.policy()
    assert policy.decide("alice", "x", shanghai(2025, 3, 5, 7)).allowed  # days left out: every day
    assert policy.decide("alice", "x", shanghai(2025, 3, 8, 11)).allowed
    assert not policy.decide("alice", "x", shanghai(2025, 3, 5, 11)).allowed


def test_grant_validity_from_inclusive_until_exclusive(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant(
        "g",
        subject={"person_id": "alice"},
        gates=["*"],
        valid_from="2025-03-03T08:00:00+08:00",
        valid_until="2025-03-04T00:00:00Z",
    )
    policy = store.policy()
    assert policy.decide("alice", "x", shanghai(2025, 3, 3, 7, 59, 59)) == refused(Reason.NOT_YET_VALID, "g")
    assert policy.decide("alice", "x", shanghai(2025, 3, 3, 8)) == granted("g")
    assert policy.decide("alice", "x", shanghai(2025, 3, 4, 7, 59, 59)) == granted("g")
    assert policy.decide("alice", "x", shanghai(2025, 3, 4, 8)) == refused(Reason.GRANT_EXPIRED, "g")


def test_any_grant_that_allows_wins(store: Store) -> None:
    store.resident("alice", household_id="h-301", category="resident")
    store.grant("expired", subject={"person_id": "alice"}, gates=["*"], valid_until="2025-01-01T00:00:00Z")
    store.grant("nights", subject={"household_id": "h-301"}, gates=["*"], windows=FRIDAY_NIGHT)
    store.grant("days", subject={"category": "resident"}, gates=["gate-north"], windows=WEEKDAYS_DAYTIME)
    policy = store.policy()
    assert policy.decide("alice", "gate-north", shanghai(2025, 3, 3, 12)) == granted("days")
    assert policy.decide("alice", "door-b3-u2", shanghai(2025, 3, 7, 23)) == granted("nights")


def test_refusal_names_the_grant_that_came_closest(store: Store) -> None:
    store.resident("alice", household_id="h-301", category="resident")
    store.grant("a-expired", subject={"person_id": "alice"}, gates=["*"], valid_until="2025-01-01T00:00:00Z")
    store.grant("b-later", subject={"person_id": "alice"}, gates=["*"], valid_from="2026-01-01T00:00:00Z")
    store.grant("c-nights", subject={"category": "resident"}, gates=["gate-north"], windows=FRIDAY_NIGHT)
    policy = store.policy()
    at = shanghai(2025, 3, 3, 12)
    assert policy.decide("alice", "gate-north", at) == refused(Reason.OUTSIDE_HOURS, "c-nights")
    assert policy.decide("alice", "door-b3-u2", at) == refused(Reason.NOT_YET_VALID, "b-later")


def test_among_equal_reasons_the_narrower_subject_is_named(store: Store) -> None:
    store.resident("alice", household_id="h-301", category="resident")
    store.grant("a-category", subject={"category": "resident"}, gates=["*"], windows=FRIDAY_NIGHT)
    store.grant("b-household", subject={"household_id": "h-301"}, gates=["*"], windows=FRIDAY_NIGHT)
    store.grant("c-person", subject={"person_id": "alice"}, gates=["*"], windows=FRIDAY_NIGHT)
    policy = store.policy()
    assert policy.decide("alice", "x", shanghai(2025, 3, 3, 12)) == refused(Reason.OUTSIDE_HOURS, "c-person")
    assert policy.decide("alice", "x", shanghai(2025, 3, 7, 23)) == granted("c-person")


def test_decide_needs_an_aware_time(store: Store) -> None:
    store.resident("alice", category="resident")
    with pytest.raises(ValueError, match="aware"):
        store.policy().decide("alice", "x", datetime(2025, 3, 3, 12))


def test_reasons_are_plain_strings() -> None:
    assert Reason.OUTSIDE_HOURS == "outside allowed hours"
    assert {r.value for r in Reason} == {
        "granted",
        "unknown person",
        "suspended",
        "resident expired",
        "no grant for this gate",
        "outside allowed hours",
        "grant not yet valid",
        "grant expired",
    }


def test_time_zone_comes_from_the_site(store: Store) -> None:
    store.resident("alice", category="resident")
    store.grant("g", subject={"person_id": "alice"}, gates=["*"], windows=WEEKDAYS_DAYTIME)
    at = shanghai(2025, 3, 3, 12)  # Monday noon in Shanghai is Sunday 23:00 in New York
    assert load_policy(store.conn, [], "Asia/Shanghai").decide("alice", "x", at).allowed
    assert not load_policy(store.conn, [], "America/New_York").decide("alice", "x", at).allowed
    assert (
        load_policy(store.conn, [], "America/New_York").decide("alice", "x", at + timedelta(hours=9)).allowed
    )
