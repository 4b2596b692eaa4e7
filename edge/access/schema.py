"""The JSON the district sends for residents and grants, as (slotted, frozen) pydantic dataclasses.

The downlink keeps each row's ``data`` as sent (tables ``residents`` and
``grants``, migration 0003). This module is the contract the district builds
against; :func:`parse_resident` and :func:`parse_grant` read one row strictly
(JSON types as written here: ``1`` is not ``true``, ``"1"`` is not ``1``).

Resident ``data``::

    {
      "name": str,                    required
      "household_id": str | null,     absent = null
      "category": str | null,         "resident", "tenant", "staff", "visitor", ...; absent = null
      "suspended": bool,              absent = false
      "valid_until": RFC3339 | null   may pass until then (exclusive); absent = null = no end
    }

Other keys (phone, unit, ...) are allowed and ignored here.

Grant ``data``::

    {
      "subject": {"person_id": str} | {"household_id": str} | {"category": str},
      "gates": [gate device id, ...] | ["*"],       non-empty; "*" is every gate
      "windows": [                                  absent or [] = any time
        {"days": [1..7], "start": "HH:MM", "end": "HH:MM"}
      ],
      "valid_from": RFC3339 | null,                 inclusive; absent = null = no start
      "valid_until": RFC3339 | null                 exclusive; absent = null = no end
    }

- A subject names exactly one key. A household or category subject matches
  residents whose ``household_id`` / ``category`` is equal (case-sensitive).
- ``days`` are ISO weekdays (1 = Monday ... 7 = Sunday), absent = every day,
  never empty. ``start`` and ``end`` are 24-hour local times ("00:00" to
  "23:59") in the site's time zone (config ``site.timezone``); ``start`` is
  inclusive, ``end`` exclusive. ``end`` before ``start`` runs across midnight:
  ``{"days": [5], "start": "22:00", "end": "06:00"}`` is Friday 22:00 to
  Saturday 06:00 — ``days`` name the day a window starts. ``start`` equal to
  ``end`` is refused (leave ``windows`` out for "any time").
- RFC 3339 times carry an offset (``Z`` or ``+08:00``); a time without one is refused.
- Unknown keys in a grant are refused, so the row is skipped: a key this box
  does not understand might be a restriction, and ignoring it would open the
  gate wider than the district meant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, model_validator
from pydantic.dataclasses import dataclass

_HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"  # checked inside pydantic-core, like every constraint here
ALL_DAYS = (1, 2, 3, 4, 5, 6, 7)
ANY_GATE = "*"

IsoWeekday = Annotated[int, Field(ge=1, le=7)]
GateId = Annotated[str, Field(min_length=1)]
HhMm = Annotated[str, Field(pattern=_HH_MM)]

# Slotted, frozen pydantic dataclasses rather than BaseModel: one object per instance instead of three
# (no __dict__, no fields-set), which keeps a load of 10,000 rows quick and light on the garbage collector.
_STRICT = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="ignore"))
class ResidentData:
    """A resident as the district describes them (only what the access policy reads)."""

    name: str
    household_id: str | None = None
    category: str | None = None
    suspended: bool = False
    valid_until: AwareDatetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True, config=_STRICT)
class Subject:
    """Whom a grant is for: one person, one household, or one category of resident."""

    person_id: str | None = Field(None, min_length=1, title="Person id")
    household_id: str | None = Field(None, min_length=1, title="Household id")
    category: str | None = Field(
        None, min_length=1, title="Category", description="resident, tenant, staff..."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Subject:
        named = [v for v in (self.person_id, self.household_id, self.category) if v is not None]
        if len(named) != 1:
            raise ValueError("subject needs exactly one of person_id, household_id, category")
        return self

    @property
    def specificity(self) -> int:
        """2 for a person, 1 for a household, 0 for a category: the narrower grant is reported first."""
        return 2 if self.person_id is not None else 1 if self.household_id is not None else 0


@dataclass(frozen=True, slots=True, kw_only=True, config=_STRICT)
class TimeWindow:
    """When, in the week, a grant lets its subject through (site time zone)."""

    days: tuple[IsoWeekday, ...] = Field(
        ALL_DAYS,
        min_length=1,
        title="Days",
        description="ISO weekdays the window starts on: 1 = Monday ... 7 = Sunday.",
    )
    start: HhMm = Field(title="From", description="HH:MM, 24-hour, inclusive.")
    end: HhMm = Field(title="Until", description="HH:MM, exclusive; before 'start' runs across midnight.")

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start == self.end:
            raise ValueError("start and end are the same; leave windows out for 'any time'")
        return self

    def contains(self, local: datetime) -> bool:
        """Whether the wall-clock time ``local`` (already in the site's zone) falls in the window."""
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        today = local.isoweekday()
        if start < end:
            return today in self.days and start <= minute < end
        yesterday = (today - 2) % 7 + 1
        return (today in self.days and minute >= start) or (yesterday in self.days and minute < end)


@dataclass(frozen=True, slots=True, kw_only=True, config=_STRICT)
class GrantData:
    """A grant: who may pass which gates, when. The same fields in the district's JSON and in the config."""

    subject: Subject = Field(title="For whom")
    gates: tuple[GateId, ...] = Field(
        min_length=1, title="Gates", description="Gate device ids, or ['*'] for every gate."
    )
    windows: tuple[TimeWindow, ...] = Field((), title="Time windows", description="Empty: any time.")
    valid_from: AwareDatetime | None = Field(None, title="Valid from", description="RFC 3339, inclusive.")
    valid_until: AwareDatetime | None = Field(None, title="Valid until", description="RFC 3339, exclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> GrantData:
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until <= self.valid_from
        ):
            raise ValueError("valid_until must be after valid_from")
        return self

    def covers_gate(self, gate_id: str) -> bool:
        return ANY_GATE in self.gates or gate_id in self.gates

    def in_windows(self, local: datetime) -> bool:
        return not self.windows or any(window.contains(local) for window in self.windows)


_RESIDENT = TypeAdapter(ResidentData)
_GRANT = TypeAdapter(GrantData)


def parse_resident(data: str | bytes) -> ResidentData:
    """One ``residents.data`` value; raises ``pydantic.ValidationError`` if it is not the contract's shape."""
    return _RESIDENT.validate_json(data, strict=True)


def parse_grant(data: str | bytes) -> GrantData:
    """One ``grants.data`` value; raises ``pydantic.ValidationError`` if it is not the contract's shape."""
    return _GRANT.validate_json(data, strict=True)


def grant_json(grant: GrantData) -> str:
    """The district's JSON for ``grant`` (keys left out where null), e.g. for tests and tools."""
    return _GRANT.dump_json(grant, exclude_none=True).decode()


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)
