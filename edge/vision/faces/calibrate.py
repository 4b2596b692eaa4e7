"""Distance distributions over a folder of people, to set and document the match threshold.

``calibrate(engine, root)`` takes ``root/<person>/<photos>``, encodes every
photo with exactly one usable face, and measures every pair: *genuine* (two
photos of the same person) and *impostor* (two different people). The report
gives both distributions (count, min, percentiles, max, a histogram in 0.05
steps) and, for thresholds from 0.30 to 0.70, the share of genuine pairs that
would be refused and impostor pairs that would be accepted. A handful of
people cannot show the false-accept rate of a 7,000-person gallery; what it
shows is where the two distributions sit and how wide the gap between them is.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from edge.vision.faces.engine import FaceEngine
from edge.vision.faces.enroll import encode_person, person_folders

THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(9))


def calibrate(engine: FaceEngine, root: Path) -> dict[str, Any]:
    vectors: list[tuple[str, np.ndarray]] = []
    skipped = 0
    for person_id, paths in person_folders(root):
        photos = encode_person(engine, person_id, paths)
        skipped += len(photos.rejected)
        vectors += [(person_id, e.vector) for e in photos.accepted]
    genuine, impostor = [], []
    for (a, va), (b, vb) in itertools.combinations(vectors, 2):
        (genuine if a == b else impostor).append(float(np.linalg.norm(va - vb)))
    return {
        "people": len({person for person, _ in vectors}),
        "photos": len(vectors),
        "photos_skipped": skipped,
        "genuine": _distribution(genuine),
        "impostor": _distribution(impostor),
        "by_threshold": [
            {
                "threshold": t,
                "false_reject": _share(genuine, lambda d, t=t: d > t),
                "false_accept": _share(impostor, lambda d, t=t: d <= t),
            }
            for t in THRESHOLDS
        ],
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [f"{report['people']} people, {report['photos']} photos ({report['photos_skipped']} skipped)"]
    for name in ("genuine", "impostor"):
        d = report[name]
        if d["pairs"]:
            lines.append(f"{name:9} {d['pairs']:5} pairs  min {d['min']:.3f}  p50 {d['p50']:.3f}"
                         f"  p95 {d['p95']:.3f}  max {d['max']:.3f}")
    lines.append("threshold  false reject  false accept")
    for row in report["by_threshold"]:
        lines.append(f"   {row['threshold']:.2f}     {_pct(row['false_reject']):>8}      {_pct(row['false_accept']):>8}")
    return "\n".join(lines)


def _distribution(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"pairs": 0}
    array = np.array(values)
    edges = np.arange(0.0, 1.3001, 0.05)
    counts, _ = np.histogram(array, bins=edges)
    return {
        "pairs": len(values),
        "min": round(float(array.min()), 4),
        "p05": round(float(np.percentile(array, 5)), 4),
        "p50": round(float(np.percentile(array, 50)), 4),
        "p95": round(float(np.percentile(array, 95)), 4),
        "max": round(float(array.max()), 4),
        "histogram": {f"{lo:.2f}": int(c) for lo, c in zip(edges[:-1], counts, strict=True) if c},
    }


def _share(values: list[float], test) -> float | None:
    if not values:
        return None
    return round(sum(1 for v in values if test(v)) / len(values), 4)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"
