"""The ``[access]`` section: grants the technician sets on the box itself.

They work before the box has ever heard from the district, and beside what it
sends later. A local grant has an ``id`` and the fields of the district's grant
JSON (see :mod:`edge.access.schema`)::

    [[access.grants]]
    id = "residents-all-gates"
    subject = { category = "resident" }
    gates = ["*"]
    windows = [{ days = [1, 2, 3, 4, 5], start = "07:00", end = "22:00" }]   # optional

Decisions name a local grant ``local:<id>``, so it cannot be mistaken for a
district grant of the same id. Like any grant it lets through only residents
the box knows: the district's, or those enrolled with ``edge faces enroll``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass

from edge.access.schema import GrantData

LOCAL_PREFIX = "local:"


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class LocalGrant(GrantData):
    """A grant set in the config: an ``id`` plus the district grant's fields."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", title="Id", description="Unique among local grants."
    )

    @property
    def grant_id(self) -> str:
        """The id decisions report: ``local:<id>``."""
        return LOCAL_PREFIX + self.id


class AccessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grants: list[LocalGrant] = Field(
        default_factory=list,
        title="Local grants",
        description="Who may pass which gates, when; applied beside the district's grants.",
    )

    @field_validator("grants")
    @classmethod
    def _unique_ids(cls, grants: list[LocalGrant]) -> list[LocalGrant]:
        seen: set[str] = set()
        for grant in grants:
            if grant.id in seen:
                raise ValueError(f"local grant id {grant.id!r} is used twice")
            seen.add(grant.id)
        return grants
