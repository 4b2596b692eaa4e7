"""``DownlinkPoller``: keeps the box's cache in step with the district, calmly.

Every ``poll_s`` (or at once after ``request_sync()``, e.g. on an MQTT
``sync.now``) it asks for the changes since its cursor and applies page after
page while the district says there are more. A 410 means the cursor is too old:
it fetches the snapshot and rebuilds the cache from it in one transaction; a
box with no cursor yet starts from the snapshot too.

Failures never stop it: it backs off (capped, jittered), logs once when syncing
starts failing and once when it recovers. A page that fails verification is
refused — nothing of it is applied — and recorded as a ``sync.refused`` event
(priority 1), once per failure burst and reason. So is a page, snapshot or
410 whose serial is older than the one held with the cursor (a replay or a
rollback): the box keeps its cursor and its data.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import structlog

from drivers.retry import Backoff, FailureStreak
from edge.downlink.cache import DownlinkCache
from edge.downlink.client import ChangesClient, CursorExpired, DownlinkError, PageRefused
from edge.downlink.page import Page
from edge.events.model import utc_rfc3339
from edge.events.record import Record
from edge.events.types.downlink import SyncRefused, SyncRollbackRefused
from edge.store.writer import StoreWriter
from edge.uplink.config import UplinkConfig
from edge.waiting import wake_or_timeout

log = structlog.get_logger(__name__)

class DownlinkPoller:
    def __init__(
        self, client: ChangesClient, cache: DownlinkCache, record: Record, *, poll_s: float, backoff: Backoff
    ) -> None:
        self._client = client
        self._cache = cache
        self._record = record
        self._poll_s = poll_s
        self._streak = FailureStreak(
            log, failing="downlink.failing", still_failing="downlink.still_failing", recovered="downlink.recovered",
            reason_field="error", backoff=backoff,
        )
        self._wake = asyncio.Event()
        self._last_refusal: str | None = None
        self.cursor: str | None = None
        self.synced_at: datetime | None = None
        self.pages = 0  # pages and snapshots applied since start
        self.rebuilds = 0

    @classmethod
    def from_config(cls, uplink: UplinkConfig, box_id: str, writer: StoreWriter, record: Record) -> DownlinkPoller:
        """The poller for ``[uplink]``; needs ``[uplink.https]`` and ``district_public_key``."""
        if uplink.https is None or not uplink.district_public_key:
            raise ValueError("the downlink needs [uplink.https] and uplink.district_public_key")
        client = ChangesClient(uplink.https, uplink.token, box_id, uplink.district_public_key)
        backoff = Backoff(uplink.backoff_initial_s, uplink.backoff_max_s, random.Random())
        return cls(client, DownlinkCache(writer), record, poll_s=uplink.changes_poll_s, backoff=backoff)

    def request_sync(self) -> None:
        """Sync now rather than at the next poll (or the end of a back-off). Call from the event loop."""
        self._wake.set()

    @property
    def last_error(self) -> str | None:
        """Why the last sync failed, until one succeeds."""
        return self._streak.reason

    def status(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor, "failing": self._streak.failing, "last_error": self.last_error,
            "synced_at": utc_rfc3339(self.synced_at) if self.synced_at else None,
            "pages": self.pages, "rebuilds": self.rebuilds,
        }

    async def run(self) -> None:
        """Poll until cancelled; never raises for district or store failures. Closes the client."""
        try:
            while True:
                delay = await self._attempt()
                await self._sleep(delay)
        finally:
            await self._client.close()

    async def sync(self) -> int:
        """Fetch and apply until the district has no more; return the number of changes applied."""
        cursor = self.cursor = await self._cache.cursor()
        applied = 0
        while True:
            page = await self._next_page(cursor)
            applied += len(page.changes)
            self.pages += 1
            previous, cursor = cursor, page.cursor
            self.cursor = cursor
            if not page.more:
                return applied
            if cursor == previous:
                raise DownlinkError(f"the district promised more pages but the cursor stays at {cursor}")

    async def _next_page(self, cursor: str | None) -> Page:
        held = await self._cache.serial()
        if cursor is not None:
            try:
                page = await self._client.changes(cursor)
            except CursorExpired as expired:
                _not_older("changes", cursor, expired.envelope.serial, held)
                log.info("downlink.cursor_expired", cursor=cursor)
            else:
                _not_older("changes", cursor, _serial(page), held)
                await self._cache.apply(page)
                return page
        page = await self._client.snapshot()
        _not_older("snapshot", None, _serial(page), held)
        await self._cache.rebuild(page)
        self.rebuilds += 1
        log.info("downlink.rebuilt", items=len(page.changes), cursor=page.cursor)
        return page

    async def _attempt(self) -> float:
        """One sync; the delay until the next."""
        try:
            applied = await self.sync()
        except asyncio.CancelledError:
            raise
        except PageRefused as exc:
            await self._refused(exc)
            return self._failed(exc)
        except Exception as exc:  # the downlink failing must not stop the daemon
            return self._failed(exc)
        if applied:
            log.info("downlink.applied", changes=applied, cursor=self.cursor)
        self._streak.recovered(cursor=self.cursor)
        self._last_refusal = None
        self.synced_at = datetime.now(UTC)
        return self._poll_s

    def _failed(self, exc: Exception) -> float:
        """Log the failure (with its traceback when it is no district trouble); the wait before the next try."""
        expected = isinstance(exc, DownlinkError | PageRefused)
        return self._streak.failed(f"{exc.__class__.__name__}: {exc}", exc_info=not expected).delay

    async def _refused(self, exc: PageRefused) -> None:
        if exc.reason == self._last_refusal:
            return
        self._last_refusal = exc.reason
        log.warning("downlink.page_refused", endpoint=exc.endpoint, since=exc.since, reason=exc.reason)
        try:
            kind = SyncRollbackRefused if exc.binding else SyncRefused
            await self._record(kind(reason=exc.reason, endpoint=exc.endpoint, since=exc.since))
        except Exception as error:
            log.error("downlink.refusal_not_recorded", error=str(error))

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if a sync is requested meanwhile."""
        await wake_or_timeout(self._wake, delay)


def _serial(page: Page) -> int:
    return page.envelope.serial if page.envelope is not None else 0


def _not_older(endpoint: str, since: str | None, serial: int, held: int) -> None:
    """PageRefused if the district answer is older than the state the box holds (a replay or a rollback)."""
    if serial < held:
        raise PageRefused(endpoint, since, "serial older than the state the box holds (replay or rollback)", binding=True)
