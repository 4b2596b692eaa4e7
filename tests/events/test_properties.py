"""Property tests: what goes into the store comes back the same; no config text crashes the loader."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.config.loader import ConfigError, parse_config
from edge.config.toml_lines import KeyLines
from edge.events.model import EventDraft
from edge.store import EventReader, StoreWriter

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
drafts = st.builds(
    EventDraft,
    type=st.from_regex(r"[a-z]{1,8}\.[a-z_]{1,12}", fullmatch=True),
    priority=st.integers(0, 3),
    occurred_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                             timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
    clock_synced=st.booleans(),
    device_id=st.none() | st.text(min_size=1, max_size=16),
    data=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(drafts, min_size=1, max_size=20))
def test_events_round_trip_through_the_store(batch: list[EventDraft]) -> None:
    async def store() -> list:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "e.db"
            async with StoreWriter(db) as writer:
                written = await asyncio.gather(*(writer.append(d) for d in batch))
            with EventReader(db) as reader:
                return [(w.to_wire(), r.to_wire()) for w, r in zip(written, reader.after(0, limit=100), strict=True)]

    for written, read in asyncio.run(store()):
        assert written == read


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_config_or_a_config_error(text: str) -> None:
    try:
        parse_config(text)
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


toml_lines = st.lists(
    st.sampled_from(["[site]", "[[devices]]", "[store]", 'box_id = "b"', 'kind = "sim.sos"', 'id = "x"',
                     "a.b = 1", '"q.k" = 2', "pulse_ms = true", "# c", "", "[a.\"b\"]", "x = [1,", "]"]),
    max_size=30,
).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(toml_lines)
def test_toml_shaped_configs_never_crash_the_loader(text: str) -> None:
    try:
        parse_config(text)
    except ConfigError as exc:
        assert exc.problems


@given(st.text(max_size=500), st.lists(st.text(max_size=5) | st.integers(0, 5), max_size=4))
def test_key_lines_never_crash(text: str, path: list) -> None:
    line = KeyLines(text).line_of(tuple(path))
    assert line is None or 1 <= line <= len(text.splitlines())
