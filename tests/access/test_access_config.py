"""The ``[access]`` config section: local grants, checked strictly and reported with their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.access import AccessConfig
from edge.config.loader import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]
SITE = '[site]\nbox_id = "b1"\n'


def problems(toml: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(SITE + toml)
    return [str(problem) for problem in caught.value.problems]


def grant(body: str, id_: str = "g1") -> str:
    return f'[[access.grants]]\nid = "{id_}"\nsubject = {{ category = "resident" }}\ngates = ["*"]\n{body}\n'


def test_no_access_section_means_no_local_grants() -> None:
    assert parse_config(SITE).access == AccessConfig()


def test_demo_lets_every_resident_through_every_gate() -> None:
    (local,) = load_config(REPO / "config" / "demo.toml").access.grants
    assert local.grant_id == "local:residents-all-gates"
    assert local.subject.category == "resident" and local.gates == ("*",) and local.windows == ()


GATES = '[[devices]]\nkind = "sim.gate"\nid = "gate-north"\n[[devices]]\nkind = "sim.gate"\nid = "door-b3-u2"\n'


def test_a_full_local_grant() -> None:
    config = parse_config(
        SITE
        + GATES
        + """
[[access.grants]]
id = "cleaners"
subject = { category = "staff" }
gates = ["gate-north", "door-b3-u2"]
windows = [{ days = [1, 2, 3, 4, 5], start = "06:00", end = "09:00" }, { start = "22:00", end = "02:00" }]
valid_from = 2025-03-01T00:00:00+08:00
valid_until = "2025-12-31T16:00:00Z"
"""
    )
    (local,) = config.access.grants
    assert [w.days for w in local.windows] == [(1, 2, 3, 4, 5), (1, 2, 3, 4, 5, 6, 7)]
    assert local.valid_from is not None and local.valid_until is not None


def test_bad_time_of_day_is_named_with_its_line() -> None:
    found = problems(grant('windows = [{ start = "7:00", end = "08:00" }]'))
    assert len(found) == 1
    assert found[0].startswith("line 7: access.grants[0].windows[0].start: String should match pattern")
    assert "(got '7:00')" in found[0]


@pytest.mark.parametrize("end", ["24:00", "08:60", "0800", "8am", ""])
def test_end_must_be_hh_mm(end: str) -> None:
    (found,) = problems(grant(f'windows = [{{ start = "07:00", end = "{end}" }}]'))
    assert "access.grants[0].windows[0].end" in found


def test_same_start_and_end_is_refused() -> None:
    (found,) = problems(grant('windows = [{ start = "07:00", end = "07:00" }]'))
    assert "access.grants[0].windows[0]: " in found and "start and end are the same" in found


@pytest.mark.parametrize(
    ("days", "where"),
    [("[0]", "days[0]"), ("[1, 8]", "days[1]"), ("[]", "days"), ('["mon"]', "days[0]"), ("3", "days")],
)
def test_bad_days_are_refused(days: str, where: str) -> None:
    found = problems(grant(f'windows = [{{ days = {days}, start = "07:00", end = "08:00" }}]'))
    assert any(f"access.grants[0].windows[0].{where}: " in problem for problem in found), found


def test_subject_names_exactly_one_key() -> None:
    toml = (
        '[[access.grants]]\nid = "g1"\nsubject = { category = "resident", person_id = "p1" }\ngates = ["*"]\n'
    )
    (found,) = problems(toml)
    assert "access.grants[0].subject" in found and "exactly one of person_id, household_id, category" in found


def test_unknown_key_is_refused() -> None:
    (found,) = problems(grant('window = [{ start = "07:00", end = "08:00" }]'))
    assert found == "line 7: access.grants[0].window: unknown key"


def test_empty_gates_and_missing_id_are_refused() -> None:
    toml = '[[access.grants]]\nsubject = { category = "resident" }\ngates = []\n'
    found = problems(toml)
    assert any("access.grants[0].id: required key is missing" in p for p in found)
    assert any("access.grants[0].gates: " in p for p in found)


def test_validity_must_be_ordered_and_carry_an_offset() -> None:
    found = problems(grant('valid_from = "2025-06-01T00:00:00Z"\nvalid_until = "2025-01-01T00:00:00Z"'))
    assert any("valid_until must be after valid_from" in p for p in found)
    found = problems(grant("valid_until = 2025-06-01T00:00:00"))  # TOML local date-time: no offset
    assert any("access.grants[0].valid_until" in p for p in found)


def test_local_grant_ids_are_unique() -> None:
    (found,) = problems(grant("", "g1") + grant("", "g1"))
    assert "local grant id 'g1' is used twice" in found


def test_schema_has_titles_for_the_console() -> None:
    schema = AccessConfig.model_json_schema()
    window = schema["$defs"]["TimeWindow"]
    assert window["additionalProperties"] is False
    assert window["properties"]["start"]["pattern"] and window["properties"]["days"]["minItems"] == 1
    assert schema["$defs"]["LocalGrant"]["properties"]["gates"]["title"] == "Gates"


def test_a_grant_naming_a_gate_this_box_lacks_is_refused_with_its_line() -> None:
    found = problems(GATES + '[[devices]]\nkind = "sim.sos"\nid = "sos-1"\n'
                     + '[[access.grants]]\nid = "g1"\nsubject = { category = "resident" }\n'
                     + 'gates = ["gate-north", "gate-nrth", "sos-1"]\n')
    assert found == [
        "line 15: access.grants[0].gates: 'gate-nrth' is not a gate on this box",
        "line 15: access.grants[0].gates: 'sos-1' is not a gate on this box",
    ]
