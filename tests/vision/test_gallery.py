"""The in-memory gallery: 1:N matching against a brute-force reference, ids kept right through add/remove."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.vision.faces.gallery import CANDIDATES, Gallery, Match

DIMS = 128
TOLERANCE = 2e-3  # float32 ||a||²+||b||²-2ab against float64 differences


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIMS)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def check_against_reference(gallery: Gallery, model: dict[str, tuple[str, np.ndarray]], queries: np.ndarray) -> None:
    """Every match agrees with distances computed in float64 over the templates ``model`` says are there."""
    ids = list(model)
    matrix = np.array([model[i][1] for i in ids], dtype=np.float64).reshape(len(ids), DIMS)
    people = np.array([model[i][0] for i in ids], dtype=object)
    results = gallery.match(queries)
    assert len(results) == len(queries)
    for query, found in zip(queries, results, strict=True):
        if not ids:
            assert found == Match(None, None, None, math.inf)
            continue
        reference = np.sqrt(((matrix - query.astype(np.float64)) ** 2).sum(axis=1))
        assert found.distance == pytest.approx(reference.min(), abs=TOLERANCE)
        chosen = ids.index(found.template_id)
        assert reference[chosen] == pytest.approx(reference.min(), abs=TOLERANCE)
        assert found.person_id == people[chosen]
        others = reference[people != found.person_id]
        if others.size:
            assert found.second_distance == pytest.approx(others.min(), abs=TOLERANCE)
        else:
            assert found.second_distance == math.inf


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    n=st.integers(0, 3 * CANDIDATES),
    persons=st.integers(1, 6),
    queries=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    near=st.booleans(),
)
def test_match_agrees_with_brute_force(n: int, persons: int, queries: int, seed: int, near: bool) -> None:
    rng = np.random.default_rng(seed)
    vectors = unit_rows(rng, n)
    if n and rng.random() < 0.3:  # exact duplicates, as re-enrolling the same photo makes
        vectors[n // 2 :] = vectors[: n - n // 2]
    skew = rng.dirichlet(np.ones(persons) * 0.3)  # often one person owns most templates
    owners = rng.choice(persons, size=n, p=skew)
    gallery = Gallery(DIMS, capacity=4)
    model = {}
    for row in range(n):
        gallery.add(f"t{row}", f"p{owners[row]}", vectors[row])
        model[f"t{row}"] = (f"p{owners[row]}", vectors[row])
    if near and n:
        faces = vectors[rng.integers(0, n, size=queries)] + rng.normal(0, 0.02, (queries, DIMS)).astype(np.float32)
    else:
        faces = unit_rows(rng, queries)
    check_against_reference(gallery, model, faces)


operations = st.lists(
    st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 24), st.integers(0, 4), st.integers(0, 9999)),
    max_size=80,
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(operations)
def test_add_and_remove_keep_ids_rows_and_persons_right(ops: list[tuple[str, int, int, int]]) -> None:
    gallery = Gallery(DIMS, capacity=1)
    model: dict[str, tuple[str, np.ndarray]] = {}
    for op, template, person, seed in ops:
        template_id = f"t{template}"
        if op == "add":
            vector = unit_rows(np.random.default_rng(seed), 1)[0]
            gallery.add(template_id, f"p{person}", vector)
            model[template_id] = (f"p{person}", vector)
        else:
            assert gallery.remove(template_id) == (model.pop(template_id, None) is not None)
    assert len(gallery) == len(model)
    assert gallery.persons() == len({person for person, _ in model.values()})
    for template_id, (person, vector) in model.items():
        assert template_id in gallery and gallery.person_of(template_id) == person
        found = gallery.match(vector[None, :])[0]  # each template is still its own nearest
        assert found.distance == pytest.approx(0.0, abs=TOLERANCE)
        assert model[found.template_id][1] == pytest.approx(vector)
    check_against_reference(gallery, model, unit_rows(np.random.default_rng(1), 3))


def test_removing_moves_the_last_row_into_the_hole() -> None:
    vectors = unit_rows(np.random.default_rng(3), 4)
    gallery = Gallery(DIMS, capacity=4)
    for i, vector in enumerate(vectors):
        gallery.add(f"t{i}", f"p{i}", vector)
    assert gallery.remove("t1")
    assert not gallery.remove("t1")
    assert len(gallery) == 3
    assert gallery.match(vectors[3:4])[0].template_id == "t3"  # moved from row 3 to row 1
    assert gallery.match(vectors[0:1])[0].template_id == "t0"
    assert gallery.match(vectors[1:2])[0].template_id != "t1"
    assert gallery.remove("t3") and gallery.remove("t0") and gallery.remove("t2")
    assert len(gallery) == 0 and gallery.persons() == 0


def test_capacity_doubles_and_keeps_every_template() -> None:
    vectors = unit_rows(np.random.default_rng(4), 9)
    gallery = Gallery(DIMS, capacity=2)
    for i, vector in enumerate(vectors):
        gallery.add(f"t{i}", "p", vector)
    assert gallery.capacity == 16 and len(gallery) == 9 and gallery.persons() == 1
    found = gallery.match(vectors)
    assert [m.template_id for m in found] == [f"t{i}" for i in range(9)]
    assert all(m.second_distance == math.inf for m in found)  # one person only


def test_second_distance_is_another_person_behind_many_templates_of_the_best() -> None:
    rng = np.random.default_rng(5)
    face = unit_rows(rng, 1)[0]
    gallery = Gallery(DIMS)
    for i in range(CANDIDATES + 4):  # more templates of one person than candidates looked at
        gallery.add(f"a{i}", "alice", face + rng.normal(0, 0.01, DIMS).astype(np.float32))
    bob = face + rng.normal(0, 0.03, DIMS).astype(np.float32)
    gallery.add("b0", "bob", bob)
    for i, vector in enumerate(unit_rows(rng, 30)):
        gallery.add(f"x{i}", f"stranger{i}", vector)
    found = gallery.match(face[None, :])[0]
    assert found.person_id == "alice" and found.distance < 0.2 < found.second_distance < 1.0
    assert found.second_distance == pytest.approx(float(np.linalg.norm(bob - face)), abs=TOLERANCE)


def test_replacing_a_template_can_change_its_person() -> None:
    vectors = unit_rows(np.random.default_rng(6), 2)
    gallery = Gallery(DIMS)
    gallery.add("t0", "alice", vectors[0])
    gallery.add("t1", "bob", vectors[1])
    gallery.add("t0", "carol", vectors[1])
    assert len(gallery) == 2 and gallery.persons() == 2
    assert gallery.person_of("t0") == "carol"
    found = gallery.match(vectors[:1])[0]
    assert found.distance == pytest.approx(float(np.linalg.norm(vectors[0] - vectors[1])), abs=TOLERANCE)


def test_empty_gallery_matches_nobody() -> None:
    gallery = Gallery(DIMS)
    assert gallery.match(np.zeros((2, DIMS), np.float32)) == [Match(None, None, None, math.inf)] * 2
    gallery.add("t0", "alice", np.ones(DIMS, np.float32))
    gallery.clear()
    assert len(gallery) == 0 and gallery.persons() == 0
    assert gallery.match(np.zeros((1, DIMS), np.float32))[0].person_id is None


def test_bad_vectors_are_refused() -> None:
    gallery = Gallery(DIMS)
    with pytest.raises(ValueError, match="shape"):
        gallery.add("t0", "alice", np.zeros(64, np.float32))
    bad = np.zeros(DIMS, np.float32)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        gallery.add("t0", "alice", bad)
    with pytest.raises(ValueError, match="queries"):
        gallery.match(np.zeros((1, 64), np.float32))
    assert len(gallery) == 0
