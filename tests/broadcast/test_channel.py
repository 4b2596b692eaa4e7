"""One speaker's channel on a FakeClock: plays take their length in clock time, cut-ins and drops are exact."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edge.broadcast.channel import PlayReport, SpeakerChannel
from edge.broadcast.model import Announcement, Urgency
from tests.fakes import FakeClock

LENGTHS = {"notice": 4.0, "sos": 0.5, "live": 1.0}


class Speaker:
    """Starts a clip at once and says how long it is; remembers what it was asked, and when."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, float]] = []

    async def play_once(self, announcement: Announcement) -> float:
        what = announcement.clip.stem if announcement.clip else "?"
        self.calls.append((what, self.clock.monotonic()))
        return LENGTHS[what]

    async def stop(self) -> None:
        self.calls.append(("stop", self.clock.monotonic()))


def clip(name: str, urgency: Urgency, **settings: object) -> Announcement:
    return Announcement(clip=Path(f"/clips/{name}.wav"), urgency=urgency, **settings)  # type: ignore[arg-type]


async def run_channel(clock: FakeClock, script) -> tuple[Speaker, list[PlayReport]]:  # type: ignore[no-untyped-def]
    speaker, reports = Speaker(clock), []

    async def report(played: PlayReport) -> None:
        reports.append(played)

    channel = SpeakerChannel("spk", speaker.play_once, speaker.stop, report, clock)
    async with asyncio.TaskGroup() as group:
        runner = group.create_task(channel.run())
        await script(channel)
        runner.cancel()
    return speaker, reports


async def test_a_cut_in_drops_a_notice_that_does_not_resume() -> None:
    clock = FakeClock()
    notice = clip("notice", Urgency.SCHEDULED, repeat=2, resume_if_interrupted=False)
    sos = clip("sos", Urgency.LIFE_SAFETY)

    async def script(channel: SpeakerChannel) -> None:
        await channel.submit(notice)
        await clock.advance(1.0)
        await channel.submit(sos)
        await clock.advance(10.0)

    speaker, reports = await run_channel(clock, script)
    assert speaker.calls == [("notice", 0.0), ("stop", 1.0), ("sos", 1.0)]
    assert [(r.announcement.id, r.result, r.started_after_s, r.played_s) for r in reports] == [
        (notice.id, "dropped", 1.0, 0.0), (sos.id, "ok", 0.0, 0.5),
    ]


async def test_repeats_follow_each_other_by_the_clip_length_and_a_cut_in_resumes_what_was_left() -> None:
    clock = FakeClock()
    notice = clip("notice", Urgency.SCHEDULED, repeat=2)  # resumes by default
    live = clip("live", Urgency.LIVE)

    async def script(channel: SpeakerChannel) -> None:
        await channel.submit(notice)
        await clock.advance(5.0)  # the first repeat is done at 4.0, the second began then
        await channel.submit(live)
        await clock.advance(20.0)

    speaker, reports = await run_channel(clock, script)
    assert speaker.calls == [("notice", 0.0), ("notice", 4.0), ("stop", 5.0), ("live", 5.0), ("notice", 6.0)]
    assert [(r.result, r.started_after_s, r.played_s) for r in reports] == [
        ("ok", 0.0, 4.0), ("interrupted", 5.0, 0.0), ("ok", 0.0, 1.0), ("ok", 6.0, 4.0),
    ]
    assert clock.monotonic() == 25.0 and clock.deadlines == []  # nothing left playing


async def test_a_less_urgent_announcement_waits_for_the_one_playing() -> None:
    clock = FakeClock()
    live, notice = clip("live", Urgency.LIVE), clip("notice", Urgency.SCHEDULED)

    async def script(channel: SpeakerChannel) -> None:
        await channel.submit(live)
        await clock.advance(0.25)
        await channel.submit(notice)
        await clock.advance(10.0)

    speaker, reports = await run_channel(clock, script)
    assert speaker.calls == [("live", 0.0), ("notice", 1.0)]  # no stop: it was not cut
    assert [(r.result, r.started_after_s) for r in reports] == [("ok", 0.0), ("ok", 0.75)]
