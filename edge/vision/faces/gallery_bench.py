"""How fast the gallery builds and matches at a given size: the numbers behind ``edge bench faces``.

``bench_match(n)`` fills a :class:`Gallery` with ``n`` random unit-length
templates (a few per person) and times ``match`` on one face at a time, as a
gate camera asks. The queries are noisy copies of stored templates, so the
nearest neighbours are close as for a known face. BLAS threads are whatever
the process was started with (the vision workers set ``OPENBLAS_NUM_THREADS=1``);
the result says which.
"""

from __future__ import annotations

import os
import time

import numpy as np

from edge.vision.faces.gallery import DIMS, Gallery


def bench_match(n: int, queries: int = 200, seed: int = 0, *, templates_per_person: int = 3) -> dict:
    """Build a gallery of ``n`` templates and time ``queries`` single-face matches (milliseconds)."""
    rng = np.random.default_rng(seed)
    vectors = _unit_rows(rng, n)
    started = time.perf_counter()
    gallery = Gallery(DIMS)
    for row in range(n):
        gallery.add(f"t{row}", f"p{row // templates_per_person}", vectors[row])
    build_ms = (time.perf_counter() - started) * 1000
    faces = _queries(rng, vectors, queries)
    for face in faces[:5]:  # warm the caches before timing
        gallery.match(face[None, :])
    timings = []
    for face in faces:
        started = time.perf_counter()
        gallery.match(face[None, :])
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = np.percentile(timings, [50, 95])
    return {
        "n": n,
        "dims": DIMS,
        "persons": gallery.persons(),
        "queries": queries,
        "build_ms": round(build_ms, 1),
        "match_ms_p50": round(float(p50), 3),
        "match_ms_p95": round(float(p95), 3),
        "match_ms_max": round(max(timings), 3),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }


def _unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIMS), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def _queries(rng: np.random.Generator, vectors: np.ndarray, count: int) -> np.ndarray:
    """Stored templates plus noise (a known face seen again), or random rows when the gallery is empty."""
    if len(vectors) == 0:
        return _unit_rows(rng, count)
    picked = vectors[rng.integers(0, len(vectors), size=count)]
    return picked + rng.normal(0.0, 0.03, size=picked.shape).astype(np.float32)
