"""``Gallery``: every live face template in memory, for 1:N matching by one matrix product.

The templates are the rows of ONE contiguous float32 matrix (capacity doubles
when full) with their squared norms beside them, so matching k faces against N
templates is one ``(k, d) @ (d, N)`` product:
``||q - t||² = ||q||² + ||t||² - 2 q·t``. Ranking needs only ``||t||² - 2 q·t``;
``np.argpartition`` picks a few candidates per face and only those get a
square root. Removal moves the last row into the hole, so the live rows stay
``[0, len)``; a dict maps template id → row, and an int array maps row → person.

``Match.second_distance`` is the best distance of a *different* person (a person
may have several templates), for a margin rule: accept only when the best is
clearly better than the runner-up.

Not thread-safe: one owner (the vision worker) adds, removes and matches.
:mod:`edge.vision.faces.gallery_store` keeps it in step with SQLite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DIMS = 128
CANDIDATES = 16  # per query: enough to find a second person behind a few templates of the first


@dataclass(frozen=True, slots=True)
class Match:
    """The nearest template to one query; all None when the gallery is empty."""

    person_id: str | None
    distance: float | None  # Euclidean, as dlib / face_recognition measure it
    template_id: str | None
    second_distance: float  # best distance of a different person; inf when there is none


class Gallery:
    """Face templates as rows of one float32 matrix, with incremental add and remove."""

    def __init__(self, dims: int = DIMS, capacity: int = 1024) -> None:
        self.dims = dims
        capacity = max(1, capacity)
        self._vectors = np.zeros((capacity, dims), dtype=np.float32)
        self._sq_norms = np.zeros(capacity, dtype=np.float32)
        self._row_person = np.zeros(capacity, dtype=np.int64)  # row → person code
        self._row_template: list[str] = []  # row → template id
        self._row_of: dict[str, int] = {}  # template id → row
        self._person_code: dict[str, int] = {}
        self._person_id: dict[int, str] = {}
        self._person_rows: dict[int, int] = {}  # person code → templates held
        self._next_code = 0

    def __len__(self) -> int:
        return len(self._row_template)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._row_of

    @property
    def capacity(self) -> int:
        return self._vectors.shape[0]

    def persons(self) -> int:
        """How many people have at least one template here."""
        return len(self._person_rows)

    def template_ids(self) -> list[str]:
        """The ids held, in row order."""
        return list(self._row_template)

    def person_of(self, template_id: str) -> str | None:
        row = self._row_of.get(template_id)
        return None if row is None else self._person_id[int(self._row_person[row])]

    def add(self, template_id: str, person_id: str, vector: np.ndarray) -> None:
        """Add a template, or replace the one with this id (its vector and person)."""
        values = np.asarray(vector, dtype=np.float32)
        if values.shape != (self.dims,):
            raise ValueError(f"template {template_id}: shape {values.shape}, expected ({self.dims},)")
        if not np.isfinite(values).all():
            raise ValueError(f"template {template_id}: not finite")
        row = self._row_of.get(template_id)
        if row is not None and self._person_id[int(self._row_person[row])] != person_id:
            self.remove(template_id)
            row = None
        if row is None:
            row = len(self._row_template)
            if row == self.capacity:
                self._grow()
            self._row_template.append(template_id)
            self._row_of[template_id] = row
            self._row_person[row] = self._take_person(person_id)
        self._vectors[row] = values
        self._sq_norms[row] = np.dot(values, values)

    def remove(self, template_id: str) -> bool:
        """Drop a template; the last row moves into its place. False if it was not here."""
        row = self._row_of.pop(template_id, None)
        if row is None:
            return False
        self._release_person(int(self._row_person[row]))
        last = len(self._row_template) - 1
        if row != last:
            moved = self._row_template[last]
            self._vectors[row] = self._vectors[last]
            self._sq_norms[row] = self._sq_norms[last]
            self._row_person[row] = self._row_person[last]
            self._row_template[row] = moved
            self._row_of[moved] = row
        self._row_template.pop()
        return True

    def clear(self) -> None:
        """Forget every template (the capacity stays)."""
        self._row_template.clear()
        self._row_of.clear()
        self._person_code.clear()
        self._person_id.clear()
        self._person_rows.clear()

    def match(self, queries: np.ndarray) -> list[Match]:
        """The nearest template, and the nearest other person, for each row of ``queries`` (k, dims)."""
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q.reshape(1, -1)
        if q.ndim != 2 or q.shape[1] != self.dims:
            raise ValueError(f"queries have shape {np.shape(queries)}, expected (k, {self.dims})")
        n = len(self._row_template)
        if n == 0:
            return [Match(None, None, None, math.inf) for _ in range(q.shape[0])]
        # partial[i, j] = ||t_j||² - 2 q_i·t_j  ==  distance² - ||q_i||²
        partial = (q * np.float32(-2.0)) @ self._vectors[:n].T
        partial += self._sq_norms[:n]
        q_sq = np.einsum("ij,ij->i", q, q)
        take = min(CANDIDATES, n)
        if take < n:
            candidates = np.argpartition(partial, take - 1, axis=1)[:, :take]
        else:
            candidates = np.broadcast_to(np.arange(n), (q.shape[0], n))
        return [self._best(partial[i], candidates[i], float(q_sq[i])) for i in range(q.shape[0])]

    # --- internals ----------------------------------------------------------

    def _best(self, partial: np.ndarray, candidates: np.ndarray, q_sq: float) -> Match:
        """The best candidate, and the best of another person (scanning all rows if no candidate is)."""
        scores = partial[candidates]
        best_row = int(candidates[np.argmin(scores)])
        person = self._row_person[best_row]
        others = scores[self._row_person[candidates] != person]
        if others.size:
            second = float(others.min())
        elif candidates.size < partial.size:  # every candidate is this person: look further
            rest = np.where(self._row_person[: partial.size] != person, partial, np.inf)
            second = float(rest.min())
        else:
            second = math.inf
        return Match(
            person_id=self._person_id[int(person)],
            distance=_distance(float(partial[best_row]), q_sq),
            template_id=self._row_template[best_row],
            second_distance=math.inf if math.isinf(second) else _distance(second, q_sq),
        )

    def _grow(self) -> None:
        capacity = self.capacity * 2
        n = len(self._row_template)
        vectors = np.zeros((capacity, self.dims), dtype=np.float32)
        vectors[:n] = self._vectors[:n]
        sq_norms = np.zeros(capacity, dtype=np.float32)
        sq_norms[:n] = self._sq_norms[:n]
        row_person = np.zeros(capacity, dtype=np.int64)
        row_person[:n] = self._row_person[:n]
        self._vectors, self._sq_norms, self._row_person = vectors, sq_norms, row_person

    def _take_person(self, person_id: str) -> int:
        code = self._person_code.get(person_id)
        if code is None:
            code = self._next_code
            self._next_code += 1
            self._person_code[person_id] = code
            self._person_id[code] = person_id
        self._person_rows[code] = self._person_rows.get(code, 0) + 1
        return code

    def _release_person(self, code: int) -> None:
        left = self._person_rows[code] - 1
        if left:
            self._person_rows[code] = left
            return
        del self._person_rows[code]
        del self._person_code[self._person_id.pop(code)]


def _distance(partial: float, q_sq: float) -> float:
    """Euclidean distance from ``||t||² - 2 q·t`` and ``||q||²``; rounding can dip below 0."""
    return math.sqrt(max(partial + q_sq, 0.0))
