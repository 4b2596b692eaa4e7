"""``edge events tail``, ``edge bench store`` and ``edge version`` from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.cli import main
from edge.events.model import EventDraft
from edge.store import StoreWriter


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(f'[site]\nbox_id = "b1"\n[store]\ndata_dir = "{tmp_path / "var"}"\n')
    return path


def fill(db: Path, types: list[str]) -> None:
    async def write() -> None:
        async with StoreWriter(db) as writer:
            for i, kind in enumerate(types):
                await writer.append(EventDraft(kind, 0 if kind == "sos.pressed" else 3,
                                               datetime(2026, 11, 27, 8, i, tzinfo=UTC), i % 2 == 0,
                                               "dev-1", {"i": i, "名称": "北门"}))

    asyncio.run(write())


def test_tail_json_lines_are_the_wire_format(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path / "var" / "events.db", ["door.opened", "sos.pressed", "door.closed"])
    assert main(["events", "tail", "--json", "--config", str(site)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert set(lines[0]) == {"event_id", "seq", "type", "priority", "occurred_at", "clock_synced",
                             "device_id", "data", "media"}
    assert lines[1]["type"] == "sos.pressed" and lines[1]["priority"] == 0
    assert lines[0]["occurred_at"] == "2026-11-27T08:00:00.000Z" and lines[0]["data"]["名称"] == "北门"


def test_tail_filters_by_type_and_limits(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path / "var" / "events.db", ["door.opened", "sos.pressed", "door.closed", "sos.pressed"])
    assert main(["events", "tail", "-n", "1", "--type", "sos.pressed", "--json", "--config", str(site)]) == 0
    (only,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert only["seq"] == 4
    assert main(["events", "tail", "--config", str(site)]) == 0
    text = capsys.readouterr().out
    assert "P0 life" in text and "sos.pressed" in text and "(clock unsynced)" in text


def test_tail_follow_prints_new_events(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "var" / "events.db"
    fill(db, ["door.opened"])
    assert main(["events", "tail", "-n", "0", "--follow", "--max-polls", "1", "--json", "--config", str(site)]) == 0
    assert capsys.readouterr().out == ""
    fill(db, ["door.closed", "sos.pressed"])
    assert main(["events", "tail", "-n", "1", "--follow", "--max-polls", "2", "--json",
                 "--type", "sos.pressed", "--config", str(site)]) == 0
    assert [json.loads(x)["seq"] for x in capsys.readouterr().out.splitlines()] == [3]


def test_tail_without_store_is_a_clear_error(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "tail", "--config", str(site)]) == 1
    assert capsys.readouterr().err.startswith("edge: no event store at")


def test_bench_store_prints_its_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "store", "--json", "--events", "2000", "--producers", "8", "--dir", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["events"] == 2000
    assert result["events_per_s"] > 0 and result["p99_commit_ms"] >= result["p50_commit_ms"] > 0
    assert result["db_bytes_per_event"] > 0 and result["synchronous"] == "FULL"
    assert result["transactions"] < 2000  # group commit
    assert list(tmp_path.iterdir()) == []  # the scratch database is removed


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("community-edge ")


def test_usage_error_is_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["events", "tail", "--lines", "many"])
    assert info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_bench_io_prints_both_latency_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "io", "--json", "--presses", "3", "--grants", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["presses"] == 3 and result["grants"] == 3 and result["line_baud"] == 19200
    assert 0 < result["sos_to_event_p50_ms"] <= result["sos_to_event_p99_ms"]
    assert 0 < result["grant_to_relay_p50_ms"] <= result["grant_to_relay_p99_ms"]
    assert result["bus_counters"]["polls"] > 0


def test_bench_uplink_prints_drain_alarm_and_memory_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "uplink", "--json", "--events", "3000", "--alarm-every", "0.01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["backlog_events"] == 3000 and result["drain_events_per_s"] > 0
    assert result["alarms"] >= 1 and result["alarm_latency_ms_p95"] >= result["alarm_latency_ms_p50"] > 0
    assert result["rss_mb_start"] > 0 and result["rss_mb_end"] > 0


def test_bench_broadcast_prints_the_preemption_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "broadcast", "--json", "--runs", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["runs"] == 1 and 0 < result["preempt_ms_p50"] <= result["preempt_ms_max"]
