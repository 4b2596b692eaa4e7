"""One face against the gallery: a match, unknown, or too close to call.

With ~7,000 residents enrolled, the chance that *some* resident lies within
the threshold of a stranger grows with every face, so two rules apply, not
one:

- **threshold**: the best distance must be at most ``threshold``
  (calibrated on the sample photos, see docs/faces.md; stricter than the
  library's 0.6);
- **margin**: the best *other* person must be at least ``margin`` further
  away. Two residents both close to a face means the face is not clearly
  either of them.

A face beyond the threshold is ``unknown``; one within it but failing the
margin is ``ambiguous`` — it counts for nobody, and not as a stranger either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from edge.vision.faces.config import DEFAULT_MARGIN, DEFAULT_THRESHOLD

VerdictKind = Literal["match", "unknown", "ambiguous"]


class MatchLike(Protocol):
    person_id: str | None
    distance: float | None
    second_distance: float


@dataclass(frozen=True, slots=True)
class MatchRules:
    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    person_id: str | None  # the match; for "unknown" / "ambiguous" the nearest person, for the record
    distance: float | None  # to the nearest template; None when the gallery is empty
    margin: float | None  # how much further the next person is; None when there is none

    @property
    def matched(self) -> str | None:
        return self.person_id if self.kind == "match" else None


def judge(match: MatchLike, rules: MatchRules) -> Verdict:
    if match.person_id is None or match.distance is None:
        return Verdict("unknown", None, None, None)
    distance = round(float(match.distance), 4)
    margin = None if math.isinf(match.second_distance) else round(float(match.second_distance) - distance, 4)
    if distance > rules.threshold:
        return Verdict("unknown", match.person_id, distance, margin)
    if margin is not None and margin < rules.margin:
        return Verdict("ambiguous", match.person_id, distance, margin)
    return Verdict("match", match.person_id, distance, margin)
