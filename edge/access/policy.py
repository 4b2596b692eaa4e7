"""Deciding, offline, whether a recognised person may pass a gate now.

An :class:`AccessPolicy` holds the residents and grants (the district's and the
config's) in memory, indexed by subject, and answers :meth:`AccessPolicy.decide`
without touching the store. The checks, in order:

1. the person is a known resident ("unknown person"),
2. not suspended ("suspended"), and not past their ``valid_until`` ("resident expired");
3. among the grants for the person, their household or their category that
   cover this gate (none: "no grant for this gate"), any one that is valid
   now and whose time windows contain now lets them pass ("granted").

When no grant allows, the reason is that of the grant that came closest:
"outside allowed hours" (valid, wrong time) before "grant not yet valid"
before "grant expired"; among equals the narrower subject (person, then
household, then category), then the smaller grant id. The decision names that
grant, so a refusal can be traced to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from edge.access.schema import GrantData, ResidentData


class Reason(StrEnum):
    """Why a decision went the way it did: short, stable strings (they go into events)."""

    GRANTED = "granted"
    UNKNOWN_PERSON = "unknown person"
    SUSPENDED = "suspended"
    RESIDENT_EXPIRED = "resident expired"
    NO_GRANT = "no grant for this gate"
    OUTSIDE_HOURS = "outside allowed hours"
    NOT_YET_VALID = "grant not yet valid"
    GRANT_EXPIRED = "grant expired"


# How close a grant came to letting the person through: lower is closer.
_CLOSENESS = {Reason.GRANTED: 0, Reason.OUTSIDE_HOURS: 1, Reason.NOT_YET_VALID: 2, Reason.GRANT_EXPIRED: 3}


@dataclass(frozen=True, slots=True)
class AccessDecision:
    allowed: bool
    reason: str  # a Reason
    grant_id: str | None = None  # the grant that allowed, or that came closest to it


@dataclass(frozen=True, slots=True)
class Grant:
    """A grant as the policy holds it: its id (``local:<id>`` for the config's) and its data."""

    id: str
    data: GrantData


class AccessPolicy:
    """Residents and grants in memory; ``decide`` is pure and cheap."""

    def __init__(
        self,
        residents: Mapping[str, ResidentData],
        grants: Iterable[Grant],
        timezone: str | tzinfo,
        *,
        fingerprint: int | None = None,
    ) -> None:
        self._residents = dict(residents)
        self._zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.fingerprint = fingerprint  # of the store rows it was loaded from; see loader.access_fingerprint
        self._by_person: dict[str, list[Grant]] = defaultdict(list)
        self._by_household: dict[str, list[Grant]] = defaultdict(list)
        self._by_category: dict[str, list[Grant]] = defaultdict(list)
        self.grant_count = 0
        for grant in grants:
            self._index(grant)

    @property
    def resident_count(self) -> int:
        return len(self._residents)

    def decide(self, person_id: str, gate_id: str, at: datetime) -> AccessDecision:
        """May ``person_id`` pass ``gate_id`` at ``at`` (an aware datetime)? Raises only for a naive ``at``."""
        if at.utcoffset() is None:
            raise ValueError("decide needs an aware datetime")
        resident = self._residents.get(person_id)
        if resident is None:
            return AccessDecision(False, Reason.UNKNOWN_PERSON)
        if resident.suspended:
            return AccessDecision(False, Reason.SUSPENDED)
        if resident.valid_until is not None and at >= resident.valid_until:
            return AccessDecision(False, Reason.RESIDENT_EXPIRED)
        local = at.astimezone(self._zone)
        best: tuple[int, int, str, Reason] | None = None
        for grant in self._grants_for(person_id, resident):
            if not grant.data.covers_gate(gate_id):
                continue
            reason = _grant_reason(grant.data, at, local)
            candidate = (_CLOSENESS[reason], -grant.data.subject.specificity, grant.id, reason)
            if best is None or candidate < best:
                best = candidate
        if best is None:
            return AccessDecision(False, Reason.NO_GRANT)
        _, _, grant_id, reason = best
        return AccessDecision(reason is Reason.GRANTED, reason, grant_id)

    def _index(self, grant: Grant) -> None:
        subject = grant.data.subject
        if subject.person_id is not None:
            self._by_person[subject.person_id].append(grant)
        elif subject.household_id is not None:
            self._by_household[subject.household_id].append(grant)
        elif subject.category is not None:
            self._by_category[subject.category].append(grant)
        self.grant_count += 1

    def _grants_for(self, person_id: str, resident: ResidentData) -> list[Grant]:
        found = list(self._by_person.get(person_id, ()))
        if resident.household_id is not None:
            found += self._by_household.get(resident.household_id, ())
        if resident.category is not None:
            found += self._by_category.get(resident.category, ())
        return found


def _grant_reason(grant: GrantData, at: datetime, local: datetime) -> Reason:
    """What this grant (already known to cover the gate) says at ``at``."""
    if grant.valid_from is not None and at < grant.valid_from:
        return Reason.NOT_YET_VALID
    if grant.valid_until is not None and at >= grant.valid_until:
        return Reason.GRANT_EXPIRED
    if not grant.in_windows(local):
        return Reason.OUTSIDE_HOURS
    return Reason.GRANTED
