"""One speaker's queue: plays one announcement at a time, the most urgent first, and lets a more
urgent one cut in at once.

Cutting in means: tell the speaker to stop, cancel the playing one, start the
new one. The interrupted announcement goes back in the queue with the
repetitions it had left (``resume_if_interrupted``) or is dropped; either way
the outcome is recorded by the ``report`` callback, as is every play.

Time is the injected clock's: when an announcement was submitted and started
(``started_after_s``), and how long a clip plays (a cut-in cancels that wait).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from drivers.base import Clock, SystemClock
from edge.broadcast.model import Announcement

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PlayReport:
    announcement: Announcement
    speaker_id: str
    result: str  # "ok" | "failed: ..." | "interrupted" | "dropped"
    started_after_s: float  # from submission to the speaker starting it
    played_s: float


PlayOnce = Callable[[Announcement], Awaitable[float]]  # starts playing; returns its length in seconds
Stop = Callable[[], Awaitable[None]]
Report = Callable[[PlayReport], Awaitable[None]]


@dataclass(slots=True)
class _Queued:
    announcement: Announcement
    repeats_left: int
    submitted_at: float


class SpeakerChannel:
    def __init__(
        self, speaker_id: str, play_once: PlayOnce, stop: Stop, report: Report, clock: Clock | None = None
    ) -> None:
        self.speaker_id = speaker_id
        self._clock: Clock = clock or SystemClock()
        self._play_once = play_once
        self._stop = stop
        self._report = report
        self._queue: list[tuple[int, int, _Queued]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._current: tuple[_Queued, asyncio.Task[None]] | None = None
        self._interrupted = False
        self._stop_first = False

    @property
    def playing(self) -> Announcement | None:
        return self._current[0].announcement if self._current else None

    async def submit(self, announcement: Announcement) -> None:
        queued = _Queued(announcement, announcement.repeat, self._clock.monotonic())
        heapq.heappush(self._queue, (announcement.urgency, next(self._order), queued))
        current = self._current
        if current is not None and announcement.urgency < current[0].announcement.urgency:
            self._interrupted = self._stop_first = True
            current[1].cancel()  # the loop stops the speaker, then puts it back or drops it
        self._wake.set()

    async def run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            _, _, queued = heapq.heappop(self._queue)
            if self._stop_first:  # here, not in submit: an SOS to many speakers waits for no one's stop
                self._stop_first = False
                await self._stop_quietly()
            await self._play(queued)

    async def _play(self, queued: _Queued) -> None:
        task = asyncio.create_task(self._play_repeats(queued), name=f"play:{self.speaker_id}")
        self._current, self._interrupted = (queued, task), False
        try:
            await asyncio.wait({task})
        finally:
            if not task.done():  # the channel itself is being cancelled
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            self._current = None
        if task.cancelled() and self._interrupted:
            await self._after_interruption(queued)
        elif not task.cancelled() and (error := task.exception()) is not None:
            log.error("broadcast.play_failed", speaker=self.speaker_id, error=str(error))

    async def _play_repeats(self, queued: _Queued) -> None:
        while queued.repeats_left > 0:
            try:
                length = await self._play_once(queued.announcement)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._report_play(queued, f"failed: {exc}", self._clock.monotonic(), 0.0)
                return
            started = self._clock.monotonic()  # the speaker has begun
            await self._clock.sleep(length)  # it is playing; a cut-in cancels this wait
            queued.repeats_left -= 1
            await self._report_play(queued, "ok", started, length)

    async def _after_interruption(self, queued: _Queued) -> None:
        keep = queued.announcement.resume_if_interrupted and queued.repeats_left > 0
        await self._report_play(queued, "interrupted" if keep else "dropped", self._clock.monotonic(), 0.0)
        if keep:
            heapq.heappush(self._queue, (queued.announcement.urgency, next(self._order), queued))

    async def _report_play(self, queued: _Queued, result: str, started: float, played: float) -> None:
        report = PlayReport(queued.announcement, self.speaker_id, result, started - queued.submitted_at, played)
        try:
            await self._report(report)
        except Exception as exc:  # recording must not stop the speaker
            log.error("broadcast.report_failed", error=str(exc))

    async def _stop_quietly(self) -> None:
        try:
            await self._stop()
        except Exception as exc:
            log.warning("broadcast.stop_failed", speaker=self.speaker_id, error=str(exc))
