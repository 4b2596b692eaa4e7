"""Config files: the shipped ones validate; mistakes are reported with key path and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.cli import main
from edge.config.loader import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]

BAD = """\
[site]
box_id = "box-1"
colour = "blue"

[store]
max_batch = "lots"

[[devices]]
kind = "sim.sos"
id = "sos-1"

[[devices]]
kind = "sim.gate"
id = "gate-1"
pulse_ms = "long"
"""


@pytest.mark.parametrize("name", ["default.toml", "demo.toml", "example-site.toml"])
def test_shipped_configs_validate(name: str) -> None:
    config = load_config(REPO / "config" / name)
    assert config.site.box_id


def test_cli_validate_demo_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(REPO / "config" / "demo.toml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_every_problem_is_named_with_key_path_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    assert main(["config", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "3 problems" in err
    assert "line 3: site.colour: unknown key" in err
    assert "line 6: store.max_batch: Input should be a valid integer" in err
    assert "line 15: devices[1].pulse_ms: Input should be a valid integer" in err
    assert "Traceback" not in err


def test_unknown_device_kind_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('[site]\nbox_id = "b"\n\n[[devices]]\nkind = "sim.toaster"\nid = "t"\n')
    (problem,) = info.value.problems
    assert problem.where == "devices[0]" and problem.line == 4
    assert "sim.toaster" in problem.message and "sim.gate" in problem.message


def test_duplicate_device_ids_are_refused() -> None:
    text = '[site]\nbox_id = "b"\n[[devices]]\nkind = "sim.sos"\nid = "x"\n[[devices]]\nkind = "sim.sos"\nid = "x"\n'
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(text)


def test_toml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('[site]\nbox_id = "b"\nname = \n')
    (problem,) = info.value.problems
    assert problem.line == 3 and "not valid TOML" in problem.message


def test_missing_file_and_missing_required_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="site: required key is missing"):
        parse_config("")


def test_schema_is_json_schema_with_every_device_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and "site" in schema["properties"]
    kinds = {d["properties"]["kind"]["const"] for d in schema["$defs"].values() if "kind" in d.get("properties", {})}
    assert {"sim.gate", "sim.sos", "sim.speaker", "sim.face_camera", "sim.facade_camera"} <= kinds
    assert schema["$defs"]["SiteConfig"]["additionalProperties"] is False


def test_devices_naming_a_bus_are_checked_against_it(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).with_name("bad_references.toml")
    assert main(["config", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 15: devices[1].relay: module 2 has no coil 4" in err
    assert "line 16: devices[1].exit_button: bus bus has no module with unit 9" in err
    assert "line 17: devices[2]: needs modbus.rtu_bus 'nope', which is not configured" in err


def test_reference_to_the_wrong_kind_is_refused_by_the_model_itself() -> None:
    from edge.config.model import EdgeConfig

    raw = {"site": {"box_id": "b"}, "devices": [
        {"kind": "sim.sos", "id": "bus"},
        {"kind": "modbus.sos", "id": "s", "bus": "bus", "input": {"unit": 1, "index": 0}},
    ]}
    with pytest.raises(ValueError, match="'bus' is a sim.sos, not a modbus.rtu_bus"):
        EdgeConfig.model_validate(raw)
