"""Building an :class:`AccessPolicy` from the store, and rebuilding it when the store changes.

:func:`load_policy` reads the live (not tombstoned) ``residents`` and
``grants`` rows in one read transaction, parses each ``data`` with the models
of :mod:`edge.access.schema`, adds the config's local grants and indexes the
lot. A malformed row is skipped with one warning naming its id and the
problem; it never stops the others from loading.

The daemon keeps a :class:`PolicyLoader` and calls :meth:`PolicyLoader.refresh`
whenever the tables may have changed (after a downlink page, on a timer). It
remembers every row it parsed by ``(id, data)``, so a reload parses only the
rows that changed, and a malformed row is warned about once, not on every
reload; when nothing changed it returns the policy it already has. Both are
blocking (SQLite, parsing): the daemon calls them through ``asyncio.to_thread``.

Measured (``python -m tests.access.bench_policy_load``; 7,000 residents and
3,000 grants, best of ten on the 2-core development VM): first load 34-39 ms,
reload after two rows changed 12 ms, refresh with nothing changed 6 ms, one
decision 2 µs.

Change detection: :func:`access_fingerprint` hashes the live rows' ``(id,
data)`` pairs of both tables, as a set. It changes exactly when what
``load_policy`` would read changes, whatever the clock did. The cheaper
``(count, max(updated_at))`` misses an update or a delete (a tombstone keeps
the count) stamped no later than the newest row — as happens when the wall
clock steps back, which it may on a box without a battery-backed clock — and
two writes in the same millisecond. ``PRAGMA data_version`` alone is no
better: it moves on every commit to any table (events commit all the time),
and not at all for commits on the same connection. The fingerprint costs one
scan of both tables and no parsing (6 ms above); it is a Python ``hash``, so
compare it only within one process.

Read through a connection of your own (read-only is fine), not in a writer
job: a full read there would hold up the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import structlog
from pydantic import ValidationError

from edge.access.config import LocalGrant
from edge.access.policy import AccessPolicy, Grant
from edge.access.schema import ResidentData, parse_grant, parse_resident

log = structlog.get_logger(__name__)

WARNINGS_PER_LOAD = 20  # malformed rows named one by one per load, per table; the rest are counted
_LIVE_RESIDENTS = "SELECT id, data FROM residents WHERE deleted = 0"
_LIVE_GRANTS = "SELECT id, data FROM grants WHERE deleted = 0"

Row = tuple[str, Any]  # (id, data as stored)
Parsed = dict[Row, Any]  # row -> its parsed data, or None when malformed


@dataclass(frozen=True, slots=True)
class AccessRows:
    """The live rows of both tables, read in one transaction."""

    residents: list[Row]
    grants: list[Row]

    @property
    def fingerprint(self) -> int:
        return hash((frozenset(self.residents), frozenset(self.grants)))


def read_access_rows(conn: sqlite3.Connection) -> AccessRows:
    """Both tables' live ``(id, data)`` rows, from one snapshot of the database."""
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")
    try:
        residents = conn.execute(_LIVE_RESIDENTS).fetchall()
        grants = conn.execute(_LIVE_GRANTS).fetchall()
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    return AccessRows(residents, grants)


def access_fingerprint(conn: sqlite3.Connection) -> int:
    """Compare with ``policy.fingerprint``: different means reload."""
    return read_access_rows(conn).fingerprint


def load_policy(
    conn: sqlite3.Connection, local_grants: Iterable[LocalGrant], timezone: str | tzinfo
) -> AccessPolicy:
    """The policy from the store's live residents and grants plus the config's ``local_grants``."""
    return PolicyLoader(local_grants, timezone).refresh(conn)


class PolicyLoader:
    """Loads the policy again and again, reparsing only what changed."""

    def __init__(self, local_grants: Iterable[LocalGrant], timezone: str | tzinfo) -> None:
        self._local = [Grant(grant.grant_id, grant) for grant in local_grants]
        self._timezone = timezone
        self._residents: Parsed = {}
        self._grants: Parsed = {}
        self.policy: AccessPolicy | None = None

    def refresh(self, conn: sqlite3.Connection) -> AccessPolicy:
        """The current policy: the one already built if the rows are unchanged, else a new one."""
        rows = read_access_rows(conn)
        fingerprint = rows.fingerprint
        if self.policy is not None and self.policy.fingerprint == fingerprint:
            return self.policy
        self._residents = _parse_rows("residents", rows.residents, self._residents, parse_resident)
        self._grants = _parse_rows("grants", rows.grants, self._grants, parse_grant)
        residents: dict[str, ResidentData] = {
            row[0]: m for row, m in self._residents.items() if m is not None
        }
        grants = [Grant(row[0], m) for row, m in self._grants.items() if m is not None]
        self.policy = AccessPolicy(residents, grants + self._local, self._timezone, fingerprint=fingerprint)
        return self.policy


def _parse_rows(table: str, rows: list[Row], known: Parsed, parse: Callable[[str | bytes], object]) -> Parsed:
    """Each row parsed (None when malformed), taken from ``known`` when the row is unchanged."""
    parsed: Parsed = {}
    warned = 0
    for row in rows:
        if row in known:
            parsed[row] = known[row]
            continue
        try:
            parsed[row] = parse(row[1])  # text (TEXT affinity), or bytes if a BLOB was written
        except ValidationError as exc:
            parsed[row] = None
            warned += 1
            if warned <= WARNINGS_PER_LOAD:
                log.warning("access.row_skipped", table=table, row_id=row[0], problem=describe_problem(exc))
    if warned > WARNINGS_PER_LOAD:
        log.warning("access.rows_skipped", table=table, skipped=warned, named=WARNINGS_PER_LOAD)
    return parsed


def describe_problem(exc: ValidationError, most: int = 3) -> str:
    """One line: where each (of the first few) validation errors is and what it says."""
    parts = []
    for error in exc.errors(include_url=False)[:most]:
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if isinstance(error.get("input"), str | int | float | bool) and len(repr(error["input"])) <= 40:
            message += f" (got {error['input']!r})"
        parts.append(f"{where}: {message}" if where else message)
    if exc.error_count() > most:
        parts.append(f"and {exc.error_count() - most} more")
    return "; ".join(parts)
