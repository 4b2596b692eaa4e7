"""``edge faces watch``: the camera pipeline on a video made from the photos, against ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.cli import main
from edge.vision.faces.demo_video import Visit, make_gate_video
from tests.sites import site_text
from tests.vision.conftest import FACES, TEST_PHOTOS

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def site(tmp_path_factory, still_engine) -> tuple[Path, Path, list[Visit]]:
    root = tmp_path_factory.mktemp("watch")
    config = root / "edge.toml"
    config.write_text(site_text("faces-watch", data=root / "data"))
    video = root / "gate.avi"
    visits = make_gate_video(still_engine, [FACES / "test" / name for name in TEST_PHOTOS], video)
    for person, category in (("obama", "resident"), ("kit_harington", "resident"), ("biden", "visitor")):
        photos = [str(p) for p in sorted((FACES / "train" / person).iterdir())]
        assert main(["faces", "enroll", "-c", str(config), "--person-id", person, "--name", person,
                     "--category", category, *photos]) == 0
    return config, video, visits


def watch(site, capsys, at: str) -> list[dict]:
    config, video, _ = site
    capsys.readouterr()
    assert main(["faces", "watch", "-c", str(config), "--json", "--at", at, str(video)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def visit_of(visits: list[Visit], frame: int) -> str:
    (visit,) = [v for v in visits if v.first_frame <= frame <= v.last_frame]
    return visit.photo


def test_each_visitor_gets_the_right_decision(site, capsys) -> None:
    lines = watch(site, capsys, "2026-11-27T10:00:00+08:00")
    for line in lines:
        assert set(line) == {"frame", "person_id", "decision", "distance"}
        assert isinstance(line["frame"], int) and line["decision"] in {"granted", "denied", "stranger"}
    seen = {(visit_of(site[2], line["frame"]), line["decision"], line["person_id"]) for line in lines}
    assert seen >= {
        ("alex_lacamoire1.jpg", "stranger", None),
        ("johnsnow_test1.jpg", "granted", "kit_harington"),
        ("kit_with_rose.jpg", "granted", "kit_harington"),
        ("kit_with_rose.jpg", "stranger", None),  # rose is not enrolled
        ("obama1.jpg", "granted", "obama"),
        ("obama_and_biden.jpg", "granted", "obama"),
        ("obama_and_biden.jpg", "denied", "biden"),  # a visitor: no grant covers that category
    }
    assert all(line["decision"] != "granted" or line["person_id"] in {"obama", "kit_harington"} for line in lines)
    granted = [line for line in lines if line["decision"] == "granted"]
    assert all(0 < line["distance"] <= 0.5 for line in granted)


def test_outside_the_grants_hours_residents_are_denied(site, capsys) -> None:
    lines = watch(site, capsys, "2026-11-27T02:00:00+08:00")
    assert {line["decision"] for line in lines if line["person_id"]} == {"denied"}
    assert {line["person_id"] for line in lines if line["person_id"]} == {"obama", "kit_harington", "biden"}


def test_a_missing_video_is_one_clear_line(site, capsys, tmp_path) -> None:
    config = site[0]
    assert main(["faces", "watch", "-c", str(config), str(tmp_path / "nope.avi")]) == 1
    assert capsys.readouterr().err.strip() == f"edge: no such video: {tmp_path / 'nope.avi'}"
