"""Recognition on the real photos: enrolled people found, everyone else unknown (via the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.cli import main
from tests.vision.conftest import ENROLLED, FACES, TEST_PHOTOS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def enrolled_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("faces") / "events.db"
    for person in ENROLLED:
        photos = [str(p) for p in sorted((FACES / "train" / person).iterdir())]
        code = main(["faces", "enroll", "--db", str(db), "--person-id", person, "--name", person.title(),
                     "--category", "resident", *photos])
        assert code == 0
    return db


def identify(db: Path, capsys, *images: Path) -> list[dict]:
    capsys.readouterr()
    code = main(["faces", "identify", "--db", str(db), "--json", *map(str, images)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    return lines


def test_every_test_photo_is_identified_or_unknown_as_it_should_be(enrolled_db, capsys) -> None:
    images = [FACES / "test" / name for name in TEST_PHOTOS]
    results = identify(enrolled_db, capsys, *images)
    assert [r["image"] for r in results] == [str(i) for i in images]
    for result, (name, people) in zip(results, TEST_PHOTOS.items(), strict=True):
        faces = sorted(result["faces"], key=lambda f: f["box"][3])  # left to right
        widest = max(f["box"][1] - f["box"][3] for f in faces)
        found = [f for f in faces if f["box"][1] - f["box"][3] >= 0.6 * widest]  # the people in front
        assert len(found) == len(people), (name, faces)
        for face, person in zip(found, people, strict=True):
            if person in ENROLLED:
                assert face["decision"] == "match" and face["person_id"] == person, (name, face)
                assert 0 <= face["distance"] <= 0.5
            else:
                assert face["decision"] == "unknown" and face["person_id"] is None, (name, face)


def test_identify_output_keeps_the_documented_format(enrolled_db, capsys) -> None:
    (result,) = identify(enrolled_db, capsys, FACES / "obama_small.jpg")
    assert set(result) == {"image", "faces"}
    (face,) = result["faces"]
    assert set(face) == {"box", "person_id", "distance", "decision"}
    top, right, bottom, left = face["box"]
    assert all(isinstance(v, int) for v in face["box"]) and top < bottom and left < right
    assert face["person_id"] == "obama" and face["decision"] == "match"
    assert isinstance(face["distance"], float)


def test_two_people_yields_two_faces(enrolled_db, capsys) -> None:
    (result,) = identify(enrolled_db, capsys, FACES / "two_people.jpg")
    assert sorted(f["person_id"] for f in result["faces"]) == ["biden", "obama"]


def test_empty_gallery_gives_unknown_with_no_distance(tmp_path, capsys) -> None:
    (result,) = identify(tmp_path / "empty.db", capsys, FACES / "obama_small.jpg")
    assert result["faces"][0] == {**result["faces"][0], "person_id": None, "distance": None, "decision": "unknown"}


def test_unreadable_image_is_reported_and_the_rest_still_identified(enrolled_db, tmp_path, capsys) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a jpeg")
    code = main(["faces", "identify", "--db", str(enrolled_db), "--json", str(junk), str(FACES / "obama_small.jpg")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "cannot read image" in err and "junk.jpg" in err
    assert [json.loads(line)["image"] for line in out.splitlines()] == [str(FACES / "obama_small.jpg")]
