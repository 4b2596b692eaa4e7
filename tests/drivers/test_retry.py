"""The back-off and the failure streak: calm retries, one line when it starts failing, one when it recovers."""

from __future__ import annotations

import random

import structlog
from structlog.testing import capture_logs

from drivers.retry import Backoff, FailureStreak
from tests.fakes import FakeClock


def lines(logs: list[dict]) -> list[tuple[str, str]]:
    return [(entry["log_level"], entry["event"]) for entry in logs]


def streak(clock: FakeClock, **options) -> FailureStreak:  # type: ignore[no-untyped-def]
    settings = {"failing": "link.failing", "still_failing": "link.still_failing", "recovered": "link.recovered"}
    return FailureStreak(structlog.get_logger().bind(link="l1"), clock=clock.monotonic, **{**settings, **options})


def test_backoff_is_capped_and_jittered() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(1))
    delays = [backoff.next_delay() for _ in range(40)]
    assert all(0.5 <= d <= 60 for d in delays)
    assert max(delays[10:]) <= 60 and min(delays[10:]) >= 30
    assert len(set(delays)) == len(delays), "jitter spreads retries"
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_backoff_doubles_up_to_the_cap_within_its_jitter() -> None:
    half, full = Backoff(1.0, 8.0, random.Random(3)), Backoff(1.0, 8.0, random.Random(3), full_jitter=True)
    for ceiling in [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]:
        assert ceiling * 0.5 <= half.next_delay() <= ceiling
        assert 0.0 <= full.next_delay() <= ceiling
    assert (half.attempt, full.attempt) == (6, 6)
    full_draws = [Backoff(1.0, 8.0, random.Random(seed), full_jitter=True).next_delay() for seed in range(50)]
    assert min(full_draws) < 0.5, "full jitter reaches below half the ceiling"


async def test_a_failure_is_logged_once_and_the_recovery_once() -> None:
    clock = FakeClock()
    s = streak(clock, down_field="down_s", count_field="failures")
    with capture_logs() as logs:
        first = s.failed("port gone", device="d1")
        clock.skip(12.34)
        second = s.failed("port still gone", device="d1")
        assert s.failing and s.reason == "port still gone" and s.failures == 2 and s.since == 0.0
        assert s.recovered(device="d1") is True
        assert s.recovered(device="d1") is False  # ok and staying ok: no line
    assert (first.started, second.started) == (True, False)
    assert lines(logs) == [("error", "link.failing"), ("debug", "link.still_failing"), ("info", "link.recovered")]
    assert logs[0] == {"event": "link.failing", "log_level": "error", "link": "l1", "device": "d1", "reason": "port gone"}
    assert logs[1]["reason"] == "port still gone"
    assert logs[2] == {"event": "link.recovered", "log_level": "info", "link": "l1", "device": "d1",
                       "down_s": 12.3, "failures": 2}
    assert not s.failing and s.reason is None and s.since is None and s.failures == 0


def test_the_delays_come_from_the_backoff_and_restart_after_a_recovery() -> None:
    s = streak(FakeClock(), backoff=Backoff(1.0, 4.0, random.Random(5), full_jitter=True))
    same = Backoff(1.0, 4.0, random.Random(5), full_jitter=True)
    with capture_logs():
        delays = [s.failed("down").delay for _ in range(5)]
        assert delays == [same.next_delay() for _ in range(5)]
        assert s.backoff is not None and s.backoff.attempt == 5
        s.recovered()
        assert s.backoff.attempt == 0
        assert s.failed("down again").delay <= 1.0  # from the first step again
        s.clear()
        assert s.backoff.attempt == 0 and not s.failing


def test_the_streak_starts_again_after_a_recovery() -> None:
    s = streak(FakeClock())
    with capture_logs() as logs:
        for _ in range(2):
            s.failed("down")
            s.failed("down")
            s.recovered()
    assert lines(logs) == [("error", "link.failing"), ("debug", "link.still_failing"), ("info", "link.recovered")] * 2


def test_the_call_can_name_the_start_line_and_ask_for_its_traceback() -> None:
    s = streak(FakeClock())
    with capture_logs() as logs:
        try:
            raise OSError("boom")
        except OSError:
            s.failed("boom", event="link.unreachable", exc_info=True)
            s.failed("boom", event="link.unreachable", exc_info=True)
    assert lines(logs) == [("error", "link.unreachable"), ("debug", "link.still_failing")]
    assert logs[0]["exc_info"] is True and "exc_info" not in logs[1]


def test_a_threshold_lets_a_few_failures_pass_before_it_counts_as_failing() -> None:
    s = streak(FakeClock(), still_failing=None, count_field="failures", threshold=3)
    with capture_logs() as logs:
        started = [s.failed("no reply").started for _ in range(2)]
        assert not s.failing and s.reason == "no reply"
        assert s.recovered() is False  # two misses and an answer: nothing to recover from
        started += [s.failed("no reply").started for _ in range(4)]
        assert s.failing
        assert s.recovered() is True
    assert started == [False, False, False, False, True, False]
    assert lines(logs) == [("error", "link.failing"), ("info", "link.recovered")]
    assert logs[1]["failures"] == 4


def test_without_a_failing_event_every_failure_is_logged_at_debug_only() -> None:
    s = FailureStreak(structlog.get_logger(), still_failing="feed.failed", reason_field="error")
    with capture_logs() as logs:
        setbacks = [s.failed("broker away", sha256="ab") for _ in range(3)]
        assert s.recovered() is True  # no recovered event: no line
    assert lines(logs) == [("debug", "feed.failed")] * 3
    assert logs[0] == {"event": "feed.failed", "log_level": "debug", "sha256": "ab", "error": "broker away"}
    assert [b.started for b in setbacks] == [True, False, False]
    assert [b.delay for b in setbacks] == [0.0] * 3  # no back-off given


async def test_failing_quietly_and_clearing_log_nothing() -> None:
    clock = FakeClock()
    s = streak(clock, threshold=2, down_field="down_s")
    with capture_logs() as logs:
        s.fail_quietly("bus offline")
        assert s.failing and s.reason == "bus offline" and s.since == 0.0
        clock.skip(3.0)
        assert s.failed("no reply").started is False  # already failing: no second start
        assert s.down_s() == 3.0
        s.clear()
        assert not s.failing and s.down_s() == 0.0
    assert lines(logs) == [("debug", "link.still_failing")]
