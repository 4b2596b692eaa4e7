"""The event catalogue against the code: every class the code can record is listed, every record/emit
call passes one, only the store writes events, and docs/events.md is what the catalogue generates."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import drivers
import edge
from drivers.base import DeviceEvent
from edge.cli import main
from edge.events.catalogue import EVENT_CLASSES, catalogue, event_class, is_catalogued, payload_schema
from edge.events.reference import REGENERATE, markdown
from tests.events.code_scan import ROOT, direct_event_writes, event_classes, import_all, recording_calls

CODE = [ROOT / "edge", ROOT / "drivers"]
NAMES = {cls.__name__ for cls in EVENT_CLASSES}
#: benchmarks that fill a throwaway store straight through StoreWriter: they measure the writer, not the recorder
BENCH_DRAFTS = {"edge/bench/store.py", "edge/bench/uplink.py"}


def test_every_event_class_under_drivers_and_edge_is_in_the_catalogue() -> None:
    import_all([drivers, edge])
    found, stray = event_classes(("drivers.", "edge."))
    bases = {cls for cls in found if "TYPE" not in cls.__dict__}  # share fields, never recorded (FaceDecided)
    assert stray == [], "event classes must be defined at module level"
    assert found - bases == set(EVENT_CLASSES)
    for base in bases:
        assert any(issubclass(cls, base) for cls in EVENT_CLASSES), f"{base.__qualname__} is a base of nothing"
        assert not is_catalogued(base)


def test_a_planted_event_class_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "edge_planted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "alarms.py").write_text(textwrap.dedent("""
        from dataclasses import dataclass
        from drivers.base import DeviceEvent

        @dataclass(frozen=True, slots=True, kw_only=True)
        class GasLeak(DeviceEvent):
            TYPE = "gas.leak"
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import edge_planted  # type: ignore[import-not-found]

    import_all([edge_planted])
    found, _ = event_classes(("edge_planted.",))
    assert [cls.TYPE for cls in found] == ["gas.leak"] and not is_catalogued(next(iter(found)))


def test_types_are_unique_and_each_class_says_what_it_means() -> None:
    types = [cls.TYPE for cls in EVENT_CLASSES]
    assert len(types) == len(set(types)) == len(catalogue())
    for entry in catalogue():
        assert event_class(entry.type) is entry.cls
        assert entry.meaning and entry.meaning.endswith((".", ")")), f"{entry.type}: write a docstring"
        assert "``" not in entry.meaning and len(entry.meaning) <= 110, entry.type
    with pytest.raises(KeyError):
        event_class("gas.leak")


def test_a_priority_that_depends_on_the_event_is_declared() -> None:
    for cls in EVENT_CLASSES:
        has_rule = cls.priority is not DeviceEvent.priority
        assert has_rule == bool(cls.PRIORITY_RULE) == bool(cls.PRIORITIES), cls.TYPE
        assert cls.PRIORITY in cls.priorities(), cls.TYPE


def test_payload_schemas_name_exactly_the_payload_fields_in_order() -> None:
    for cls in EVENT_CLASSES:
        schema = payload_schema(cls)
        names = [f.name for f in cls.payload_fields()]
        assert list(schema.get("properties", {})) == names and schema["additionalProperties"] is False
        optional = {f.name for f in cls.payload_fields() if f.metadata.get("omit_if_none")}
        assert set(schema.get("required", [])) == set(names) - optional, cls.TYPE
        assert not {"occurred_at", "media", "offline_priority"} & set(names), cls.TYPE
    assert payload_schema(event_class("face.granted"))["properties"]["gate_error"]["anyOf"][1] == {"type": "null"}


def test_edge_events_types_json_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "types", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["type"] for line in lines] == sorted(cls.TYPE for cls in EVENT_CLASSES)
    sos = next(line for line in lines if line["type"] == "sos.pressed")
    assert sos["priority"] == {"name": "LIFE_SAFETY", "value": 0} and sos["class"] == "drivers.events.SosPressed"
    command = next(line for line in lines if line["type"] == "command.result")
    assert [p["value"] for p in command["priorities"]] == [2, 3] and command["priority_rule"]
    assert command["payload_schema"]["required"] == ["command", "args", "source", "ok", "detail"]
    assert command["meaning"].startswith("A command ran")


def test_edge_events_types_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "types"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["TYPE", "PRIORITY", "PAYLOAD", "MEANING"]
    rows = {line.split()[0]: line for line in out[1:len(EVENT_CLASSES) + 1]}
    assert set(rows) == {cls.TYPE for cls in EVENT_CLASSES}
    assert "0 LIFE_SAFETY" in rows["sos.pressed"] and "gate_error?" in rows["face.granted"]
    assert "2 DEVICE_STATUS*" in rows["device.offline"]


def test_docs_events_md_is_generated_from_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "types", "--markdown"]) == 0
    generated = capsys.readouterr().out
    assert generated == markdown()
    assert REGENERATE in generated.split("\n## ", 1)[0]  # said at the top
    for cls in EVENT_CLASSES:
        assert f"\n## `{cls.TYPE}`\n" in generated
    stored = (ROOT / "docs" / "events.md").read_text()
    assert stored == generated, f"docs/events.md is stale: run `{REGENERATE}`"


def test_every_record_and_emit_call_passes_a_catalogue_event() -> None:
    calls = recording_calls(CODE, NAMES)
    assert len(calls) >= 30, "the scan finds the call sites"  # guards against a scan that finds nothing
    assert [c for c in calls if c.problem] == []
    constructed = {c.argument.split("(")[0] for c in calls if c.argument[:1].isupper()}
    assert constructed <= NAMES and len(constructed) >= 15  # most are built right in the call


def test_the_call_scan_fails_on_planted_calls(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(textwrap.dedent("""
        async def run(recorder, driver, record):
            await recorder.record("gas.leak", 1, {"ppm": 900})
            await record(f"face.{kind}", data)
            await driver.emit(GasLeak(ppm=900))
            await recorder.record(SosPressed(), media=())
            event = GasLeak(ppm=3)
            await recorder.record(event, device_id="x")
            await recorder.record(SosPressed(), device_id="sos-1", occurred_at=None)
    """))
    problems = [(c.where.rsplit(":", 1)[1], c.problem) for c in recording_calls([planted], NAMES)]
    assert problems == [
        ("3", "takes one event object, got 3 positional arguments"),
        ("4", "takes one event object, got 2 positional arguments"),
        ("5", "GasLeak is not a catalogue class"),
        ("6", "unknown keyword arguments ['media']"),
        ("8", "GasLeak is not a catalogue class"),
        ("9", None),
    ]


def test_only_the_store_writes_events_and_only_the_recorder_drafts_them() -> None:
    writes = direct_event_writes(CODE)
    assert [w.split(":")[0] for w in writes if "INSERT" in w.upper()] == ["edge/store/writer.py"]
    drafts = {w.split(":")[0] for w in writes if "EventDraft" in w}
    assert drafts == {"edge/recording/recorder.py"} | BENCH_DRAFTS


def test_the_write_scan_fails_on_a_planted_write(tmp_path: Path) -> None:
    planted = tmp_path / "sneaky.py"
    planted.write_text('conn.execute("insert or ignore into events (seq) values (1)")\nEventDraft("x", 3)\n')
    assert direct_event_writes([planted]) == [
        f"{planted}:1: insert or ignore into events", f"{planted}:2: EventDraft(...)"]
