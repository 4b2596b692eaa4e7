"""Drains the outbox to the district: alarms first, at full speed while it works, calmly when not.

Three loops, owned by :meth:`OutboxSender.run`:

* **events**: take the most urgent batch, send it, settle it, and go back to
  the top, so an alarm waits for one batch at most, never behind a backlog.
  A failed send backs off exponentially with full jitter, capped at
  ``backoff_max_s`` (5 min); new events and ``kick()`` end the wait early.
* **media**: files whose event was accepted are uploaded one by one, apart
  from the events, so a large clip never holds them up.
* **limits**: TTL and the byte cap are applied every ``limits_every_s``; each
  drop goes up as an ``events.dropped`` event so the district sees the gap.
"""

from __future__ import annotations

import asyncio
import random

import structlog

from drivers.base import Clock
from drivers.retry import Backoff, FailureStreak
from edge.events.types.uplink import EventsDropped
from edge.recording import EventRecorder
from edge.store.media import MediaStore
from edge.timesync import ClockSync
from edge.uplink.config import UplinkConfig
from edge.uplink.outbox import Batch, Outbox
from edge.uplink.transport import BatchRefused, SendResult, Transport, TransportError
from edge.waiting import keep_going, wake_or_timeout

log = structlog.get_logger(__name__)

_IDLE_S = 5.0


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        media: MediaStore,
        recorder: EventRecorder,
        config: UplinkConfig,
        clock: Clock,
        sync: ClockSync,
        limits_every_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._media = media
        self._recorder = recorder
        self._clock = clock
        self._sync = sync
        self._limits_every_s = limits_every_s
        self._wake = asyncio.Event()
        self._batch_cap: int | None = None  # smaller batches while the district refuses one
        self.stats = {"batches": 0, "sent": 0, "rejected": 0, "failures": 0, "media": 0, "dropped": 0}
        self._streak = FailureStreak(
            log, failing="uplink.failing", recovered="uplink.recovered", count_field="failures",
            backoff=Backoff(config.backoff_initial_s, config.backoff_max_s, rng or random.Random(), full_jitter=True),
        )
        self._media_streak = FailureStreak(  # every failed file at debug: the events' streak speaks for the link
            log, still_failing="uplink.media_failed", reason_field="error",
            backoff=Backoff(config.backoff_initial_s, config.backoff_max_s, rng or random.Random(), full_jitter=True),
        )

    @property
    def failing(self) -> str | None:
        """Why the last send failed, while sends are failing."""
        return self._streak.reason

    def wake(self) -> None:
        """Something new is in the outbox, or the link may be back: look now."""
        self._wake.set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._send_events(), name="uplink:events")
            group.create_task(self._send_media(), name="uplink:media")
            group.create_task(self._apply_limits(), name="uplink:limits")

    # --- events ------------------------------------------------------------------

    async def _send_events(self) -> None:
        while True:
            try:
                await self._send_one_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store, a bug: back off, never take the daemon down
                log.exception("uplink.sender_error")
                await self._pause(self._failed(f"{exc.__class__.__name__}: {exc}"))

    async def _send_one_batch(self) -> None:
        batch = await self._outbox.next_batch(self._batch_cap)
        if batch is None or not batch.events:
            await self._pause(_IDLE_S)
            return
        try:
            result = await self._transport.send_events(batch.events)
        except BatchRefused as exc:
            await self._refused(batch, exc)
            return
        except TransportError as exc:
            await self._pause(self._failed(str(exc)))
            return
        self._batch_cap = None
        self._settled(batch, result)
        await self._outbox.settle(batch, result)
        self.stats["batches"] += 1

    def _settled(self, batch: Batch, result: SendResult) -> None:
        self._recovered()
        self.stats["sent"] += len(result.accepted)
        self.stats["rejected"] += len(result.rejected)
        if result.rejected:
            log.warning("uplink.rejected", count=len(result.rejected), first=next(iter(result.rejected.values())))

    async def _refused(self, batch: Batch, exc: BatchRefused) -> None:
        """The district refused the batch whole: halve it until the one event it refuses is found."""
        if len(batch.events) == 1:
            event = batch.events[0]
            log.error("uplink.event_refused", seq=event.seq, status=exc.status, reason=str(exc))
            await self._outbox.settle(batch, SendResult(frozenset(), {event.event_id: f"HTTP {exc.status}: {exc}"}))
            self.stats["rejected"] += 1
            self._batch_cap = None
            return
        self._batch_cap = max(1, len(batch.events) // 2)
        log.warning("uplink.batch_refused", status=exc.status, events=len(batch.events), next=self._batch_cap)

    async def _pause(self, seconds: float) -> None:
        await wake_or_timeout(self._wake, seconds)

    def _failed(self, reason: str) -> float:
        """Count and log the failure; the wait before the next try."""
        self.stats["failures"] += 1
        return self._streak.failed(reason, transport=self._transport.name).delay

    def _recovered(self) -> None:
        self._streak.recovered(transport=self._transport.name)

    # --- media -------------------------------------------------------------------

    async def _send_media(self) -> None:
        if not self._transport.carries_media:
            return
        await keep_going("uplink.media", self._send_media_forever)

    async def _send_media_forever(self) -> None:
        while True:
            ready = await self._outbox.ready_media()
            if not ready:
                await asyncio.sleep(1.0)
                continue
            for ref in ready:
                try:
                    await self._transport.send_media(ref, self._media.path_for(ref.sha256))
                except TransportError as exc:
                    delay = self._media_streak.failed(str(exc), sha256=ref.sha256).delay
                    await self._outbox.media_failed(ref.sha256)
                    await asyncio.sleep(delay)
                    break
                except FileNotFoundError:
                    log.error("uplink.media_missing", sha256=ref.sha256)
                await self._outbox.media_sent(ref.sha256)
                self._media_streak.recovered()
                self.stats["media"] += 1

    # --- limits ------------------------------------------------------------------

    async def _apply_limits(self) -> None:
        await keep_going("uplink.limits", self._apply_limits_forever)

    async def _apply_limits_forever(self) -> None:
        while True:
            drops = await self._outbox.enforce_limits(self._clock.now(), self._sync.synced())
            for drop in drops:
                await self._recorder.record(EventsDropped(
                    from_seq=drop.from_seq, to_seq=drop.to_seq, count=drop.count, types=drop.types, reason=drop.reason,
                ))
                await self._outbox.mark_reported(drop)
                self.stats["dropped"] += drop.count
                log.warning("uplink.dropped", reason=drop.reason, count=drop.count, types=drop.types)
            await asyncio.sleep(self._limits_every_s)
