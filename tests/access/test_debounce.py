"""Leading-edge debouncing: immediate edges, no doubled events, no lost short presses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.access.debounce import DebouncedInput


def test_first_sample_is_the_baseline() -> None:
    button = DebouncedInput(0.1)
    assert button.sample(True, 0.0) is None and button.state is True


def test_edge_is_reported_at_once_and_bounce_is_ignored() -> None:
    button = DebouncedInput(0.1)
    button.sample(False, 0.0)
    assert button.sample(True, 0.05) is True
    assert button.sample(False, 0.07) is None  # bounce within the lock-out
    assert button.sample(True, 0.09) is None
    assert button.settle(0.2) is None  # ended where it was reported
    assert button.sample(False, 0.3) is False


def test_press_shorter_than_the_lockout_is_not_lost() -> None:
    button = DebouncedInput(0.1)
    button.sample(False, 0.0)
    assert button.sample(True, 1.0) is True
    assert button.sample(False, 1.03) is None
    assert button.lockout_ends() == 1.1
    assert button.settle(1.05) is None
    assert button.settle(1.1) is False and button.lockout_ends() is None


@given(st.lists(st.tuples(st.booleans(), st.floats(0.001, 0.5)), min_size=1, max_size=60))
def test_reported_edges_alternate_and_end_at_the_final_level(samples: list[tuple[bool, float]]) -> None:
    button = DebouncedInput(0.1)
    now, reported = 0.0, []
    for level, gap in samples:
        now += gap
        if (edge := button.sample(level, now)) is not None:
            reported.append(edge)
    now += 1.0
    if (edge := button.settle(now)) is not None:
        reported.append(edge)
    assert all(a != b for a, b in zip(reported, reported[1:], strict=False)), "edges must alternate"
    assert button.state == samples[-1][0]
