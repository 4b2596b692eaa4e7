"""An SOS announcement cuts into a running notice on a real (file-sink) speaker, and the notice resumes.

Channel and speaker share a FakeClock, so every time is exact; how fast the cut-in is in
real time (speech, the speaker's stop and start) is what ``edge bench broadcast`` measures.
"""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from drivers.base import DeviceEvent
from drivers.sim.speaker import SimSpeaker, SimSpeakerConfig
from edge.broadcast.config import BroadcastConfig
from edge.broadcast.manager import BroadcastManager
from edge.broadcast.model import Announcement, Urgency
from tests.fakes import FakeClock, InFlight, settle_when


def tone(path: Path, seconds: float, hz: float = 440.0, rate: int = 16000) -> Path:
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


class Recorded:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], str | None]] = []

    async def __call__(self, event: DeviceEvent, *, device_id: str | None = None) -> None:
        self.events.append((event.TYPE, event.payload(), device_id))

    def plays(self) -> list[dict[str, Any]]:
        return [data for type_, data, _ in self.events if type_ == "broadcast.played"]


@pytest.fixture
def playing() -> InFlight:
    """The speaker's commands under way: it writes each clip on a thread, and time waits for that."""
    return InFlight()


@pytest.fixture
def clock(playing: InFlight) -> FakeClock:
    return FakeClock(settle=settle_when(lambda: playing.count > 0))


@pytest.fixture
async def speaker(tmp_path: Path, clock: FakeClock, playing: InFlight):
    emitted: list = []

    async def emit(event) -> None:  # type: ignore[no-untyped-def]
        emitted.append(event)

    driver = SimSpeaker(SimSpeakerConfig(id="spk-1", out_dir=tmp_path / "out"), emit, clock)
    playing.watch(driver, "execute")
    await driver.connect()
    task = asyncio.create_task(driver.run())
    driver.emitted = emitted  # type: ignore[attr-defined]
    yield driver
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await driver.close()


async def test_sos_preempts_a_running_notice_at_once_and_the_notice_resumes(
    speaker: SimSpeaker, clock: FakeClock, tmp_path: Path
) -> None:
    """On the speaker's clock: a 3 s notice, cut after 0.25 s by an SOS of 2 x 0.5 s, then played again."""
    recorded = Recorded()
    rendered: list[str] = []

    async def render(text: str, voice: str, rate: int) -> Path:
        rendered.append(text)
        return tone(tmp_path / f"tts-{len(rendered)}.wav", 0.5, hz=880)

    manager = BroadcastManager(BroadcastConfig(), {"spk-1": speaker}, render, recorded, clock)
    notice = Announcement(clip=tone(tmp_path / "notice.wav", 3.0), urgency=Urgency.SCHEDULED, source="schedule")
    async with asyncio.TaskGroup() as group:
        runner = group.create_task(manager.run())
        await manager.announce(notice)
        await clock.run_until(lambda: speaker.playing == "notice.wav", 1)
        await clock.advance(0.25)  # the notice is playing
        sos = Announcement(text="3号楼2单元 一键报警", urgency=Urgency.LIFE_SAFETY, repeat=2, source="rule:sos")
        await manager.announce(sos)
        await clock.run_until(lambda: manager.channels["spk-1"].playing is sos and speaker.playing is not None, 1)
        assert clock.monotonic() == 0.25, "the SOS started without waiting for anything on the clock"
        await clock.run_until(lambda: len([p for p in recorded.plays() if p["result"] == "ok"]) >= 3, 10)
        runner.cancel()
    plays = recorded.plays()
    assert [(p["announcement"], p["result"]) for p in plays] == [
        (notice.id, "interrupted"), (sos.id, "ok"), (sos.id, "ok"), (notice.id, "ok"),
    ]
    # from being asked for to starting (the interruption: to being cut); the SOS cut in at once
    assert [p["started_after_ms"] for p in plays] == [250.0, 0.0, 500.0, 1250.0]
    assert [p["played_s"] for p in plays] == [0.0, 0.5, 0.5, 3.0]
    assert clock.monotonic() == 4.25  # the notice played in full once the SOS was done
    first = next(e for e in speaker.emitted if e.TYPE == "speaker.played")  # type: ignore[attr-defined]
    assert (first.what, first.result, first.duration_s) == ("notice.wav", "stopped", 0.25), "told to stop"
    written = sorted((tmp_path / "out").glob("*.wav"))
    assert len(written) == 4  # notice, SOS twice, the notice again
    assert rendered == ["3号楼2单元 一键报警"] * 2


async def test_targets_resolve_groups_and_refuse_unknown_names(speaker: SimSpeaker) -> None:
    config = BroadcastConfig(groups={"building-3": ["spk-1"]})
    manager = BroadcastManager(config, {"spk-1": speaker}, None, Recorded())  # type: ignore[arg-type]
    assert manager.resolve(["building-3"]) == ["spk-1"] and manager.resolve([]) == ["spk-1"]
    with pytest.raises(ValueError, match="no speaker or group 'nope'"):
        manager.resolve(["nope"])
