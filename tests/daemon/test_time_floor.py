"""A box that boots with its clock in 1970 never stamps events earlier than the last good time."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from edge.timesync import FlooredClock, load_floor, save_floor
from tests.fakes import FakeClock


def test_clock_behind_the_floor_counts_on_from_it() -> None:
    inner = FakeClock(datetime(1970, 1, 1, tzinfo=UTC))
    floor = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    clock = FlooredClock(inner, floor)
    assert clock.now() == floor
    inner.skip(90)
    assert clock.now() == floor + timedelta(seconds=90)


def test_clock_ahead_of_the_floor_is_used_as_it_is() -> None:
    inner = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    clock = FlooredClock(inner, datetime(2026, 11, 27, tzinfo=UTC))
    assert clock.now() == inner.now()
    assert FlooredClock(inner).now() == inner.now()


def test_floor_is_persisted_and_only_moves_forward() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    assert load_floor(conn) is None
    later, earlier = datetime(2026, 11, 27, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)
    save_floor(conn, later)
    save_floor(conn, earlier)
    assert load_floor(conn) == later
