"""Enrollment refuses what it cannot use, says why, and keeps templates, never photos."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli import main
from tests.vision.conftest import FACES

pytestmark = pytest.mark.slow


def enroll(db: Path, person: str, *photos: Path, extra: tuple[str, ...] = ()) -> int:
    return main(["faces", "enroll", "--db", str(db), "--person-id", person, "--name", "Some One",
                 *extra, *map(str, photos)])


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_no_face_and_several_faces_are_refused_with_reasons(tmp_path, capsys) -> None:
    empty = tmp_path / "wall.png"
    cv2.imwrite(str(empty), np.full((240, 320, 3), 128, np.uint8))
    code = enroll(tmp_path / "e.db", "p1", empty, FACES / "two_people.jpg")
    err = capsys.readouterr().err
    assert code == 1
    assert "wall.png: no face found" in err
    assert "two_people.jpg: 2 faces found; an enrollment photo must show one person" in err
    assert "nothing enrolled for p1" in err
    assert rows(tmp_path / "e.db", "SELECT count(*) FROM face_templates") == [(0,)]


def test_good_photos_are_enrolled_and_bad_ones_named(tmp_path, capsys) -> None:
    db = tmp_path / "e.db"
    code = enroll(db, "obama", *sorted((FACES / "train" / "obama").iterdir()), FACES / "two_people.jpg",
                  extra=("--category", "resident"))
    out, err = capsys.readouterr()
    assert code == 1  # one photo was refused
    assert "enrolled obama (Some One): 2 template(s), 1 photo(s) rejected" in out
    templates = rows(db, "SELECT person_id, model_id, dims, length(embedding), photo, source_sha256 FROM face_templates")
    assert len(templates) == 2
    for person, model, dims, size, photo, sha in templates:
        assert (person, model, dims, size, photo) == ("obama", "dlib-resnet-v1/5pt", 128, 512, None)
        assert len(sha) == 64
    assert rows(db, "SELECT id, json_extract(data, '$.category') FROM residents") == [("obama", "resident")]


def test_a_photo_of_someone_else_among_a_persons_photos_is_refused(tmp_path, capsys) -> None:
    photos = [*sorted((FACES / "train" / "obama").iterdir()), FACES / "test" / "obama1.jpg",
              FACES / "train" / "rose_leslie" / "img1.jpg"]
    code = enroll(tmp_path / "e.db", "obama", *photos)
    err = capsys.readouterr().err
    assert code == 1
    assert "img1.jpg: does not look like the person's other photos" in err
    assert rows(tmp_path / "e.db", "SELECT count(*) FROM face_templates WHERE deleted = 0") == [(3,)]


def test_import_enrolls_a_folder_per_person_and_summarises_rejects(tmp_path, capsys) -> None:
    root = tmp_path / "people"
    for person in ("biden", "rose_leslie"):
        (root / person).mkdir(parents=True)
        for photo in (FACES / "train" / person).iterdir():
            (root / person / photo.name).write_bytes(photo.read_bytes())
    (root / "rose_leslie" / "group.jpg").write_bytes((FACES / "two_people.jpg").read_bytes())
    (root / "rose_leslie" / "notes.txt").write_text("not a photo")
    code = main(["faces", "import", "--db", str(tmp_path / "e.db"), str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "imported 2 of 2 people, 4 templates; 1 photos rejected" in out
    assert "rejected rose_leslie/group.jpg: 2 faces found" in out


def test_remove_tombstones_a_persons_templates(tmp_path, capsys) -> None:
    db = tmp_path / "e.db"
    assert enroll(db, "biden", *sorted((FACES / "train" / "biden").iterdir())) == 0
    assert main(["faces", "remove", "--db", str(db), "--person-id", "biden", "--resident"]) == 0
    assert "removed 2 template(s) of biden, and the resident" in capsys.readouterr().out
    assert rows(db, "SELECT deleted, embedding FROM face_templates") == [(1, None), (1, None)]
    assert rows(db, "SELECT deleted FROM residents") == [(1,)]
    assert main(["faces", "remove", "--db", str(db), "--person-id", "biden"]) == 1


def test_calibrate_reports_both_distributions(tmp_path, capsys) -> None:
    assert main(["faces", "calibrate", "--db", str(tmp_path / "e.db"), "--json", str(FACES / "train")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["people"], report["photos"]) == (5, 9)
    genuine, impostor = report["genuine"], report["impostor"]
    assert (genuine["pairs"], impostor["pairs"]) == (4, 32)
    assert genuine["max"] < 0.5 < impostor["min"]  # the default threshold sits in the gap
    at_default = next(row for row in report["by_threshold"] if row["threshold"] == 0.5)
    assert at_default == {"threshold": 0.5, "false_reject": 0.0, "false_accept": 0.0}
    assert sum(genuine["histogram"].values()) == 4


def test_a_face_already_enrolled_as_someone_else_is_refused_unless_forced(tmp_path, capsys) -> None:
    db = tmp_path / "e.db"
    assert enroll(db, "obama", FACES / "train" / "obama" / "obama.jpg") == 0
    assert enroll(db, "barack", FACES / "train" / "obama" / "obama2.jpg") == 1
    assert "obama2.jpg: already enrolled as obama (distance 0." in capsys.readouterr().err
    assert enroll(db, "barack", FACES / "train" / "obama" / "obama2.jpg", extra=("--force",)) == 0
    assert enroll(db, "obama", FACES / "test" / "obama1.jpg") == 1  # now two ids hold this face
    assert "already enrolled as another person" in capsys.readouterr().err
