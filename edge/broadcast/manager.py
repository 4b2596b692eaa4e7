"""The broadcast service: a channel for each speaker it is given, announcements routed to them,
alarms announced, schedules run.

Text is spoken by the box (offline TTS, cached) and sent to the speaker as a
WAV, unless the speaker speaks text itself (a cloud speaker with its own TTS).
Every play is a ``broadcast.played`` event: what, where, when, the result and
how long after it was asked for it began.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog

from drivers.base import Clock, Command
from drivers.capabilities import Speaker
from edge.broadcast.channel import PlayReport, SpeakerChannel
from edge.broadcast.config import BroadcastConfig
from edge.broadcast.model import Announcement, Urgency
from edge.commands import CommandRequest
from edge.events.record import Record
from edge.events.types.broadcast import BroadcastPlayed

log = structlog.get_logger(__name__)

Render = Callable[[str, str, int], Awaitable[Path]]  # text, voice, rate -> WAV path


class BroadcastManager:
    def __init__(
        self, config: BroadcastConfig, speakers: dict[str, Speaker], render: Render, record: Record,
        clock: Clock | None = None,
    ) -> None:
        self._config = config
        self._render = render
        self._record = record
        self.speakers = dict(speakers)
        self.channels = {
            i: SpeakerChannel(i, self._player(d), self._stopper(d), self._report, clock) for i, d in self.speakers.items()
        }

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for channel in self.channels.values():
                group.create_task(channel.run(), name=f"broadcast:{channel.speaker_id}")

    def resolve(self, targets: tuple[str, ...] | list[str]) -> list[str]:
        """Speaker ids for speaker ids and group names; none named: every speaker."""
        if not targets:
            return list(self.channels)
        found: list[str] = []
        for name in targets:
            members = self._config.groups.get(name, [name])
            for member in members:
                if member not in self.channels:
                    raise ValueError(f"no speaker or group {name!r}" if member == name else
                                     f"group {name!r} names {member!r}, which is not a speaker")
                if member not in found:
                    found.append(member)
        return found

    async def announce(self, announcement: Announcement) -> list[str]:
        speakers = self.resolve(announcement.targets)
        for speaker_id in speakers:
            await self.channels[speaker_id].submit(announcement)
        log.info("broadcast.announced", id=announcement.id, urgency=announcement.urgency.name,
                 speakers=speakers, source=announcement.source)
        return speakers

    async def command(self, request: CommandRequest) -> dict[str, Any]:
        """The box command ``broadcast`` (sync API, MQTT, control socket), announced in its caller's name."""
        args = request.args
        text = args.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError('broadcast: "text" is required')
        urgency = Urgency.LIFE_SAFETY if args.get("urgency") == "life_safety" else Urgency.LIVE
        targets = args.get("targets") or ([args["speaker"]] if args.get("speaker") else [])
        announcement = Announcement(
            text=text, urgency=urgency, targets=tuple(targets), repeat=int(args.get("repeat", 1)),
            voice=str(args.get("voice", self._config.voice)), source=request.caller.source,
        )
        return {"id": announcement.id, "speakers": await self.announce(announcement)}

    # --- one speaker ---------------------------------------------------------------

    def _player(self, driver: Speaker) -> Callable[[Announcement], Awaitable[float]]:
        async def play_once(announcement: Announcement) -> float:
            args = await self._play_args(driver, announcement)
            result = await driver.execute(Command("speaker.play", args, source=f"broadcast:{announcement.id}"))
            if not result.ok:
                raise RuntimeError(result.detail)
            return float(result.data.get("duration_s") or 0.0)

        return play_once

    async def _play_args(self, driver: Speaker, announcement: Announcement) -> dict[str, Any]:
        if announcement.clip is not None:
            return {"wav_path": str(announcement.clip)}
        assert announcement.text is not None
        if "text" in driver.plays:  # it speaks text itself (a cloud speaker's TTS)
            return {"text": announcement.text, "voice": announcement.voice}
        wav = await self._render(announcement.text, announcement.voice, self._config.rate_wpm)
        return {"wav_path": str(wav)}

    def _stopper(self, driver: Speaker) -> Callable[[], Awaitable[None]]:
        async def stop() -> None:
            await driver.execute(Command("speaker.stop", source="broadcast"))

        return stop

    async def _report(self, report: PlayReport) -> None:
        a = report.announcement
        await self._record(
            BroadcastPlayed(
                announcement=a.id, what=a.what, urgency=a.urgency.name.lower(), result=report.result,
                started_after_ms=round(report.started_after_s * 1000, 1), played_s=round(report.played_s, 2),
                source=a.source,
            ),
            device_id=report.speaker_id,
        )
