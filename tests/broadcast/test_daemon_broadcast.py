"""Broadcasts in the running daemon: an SOS press is announced with real offline speech; edge say."""

from __future__ import annotations

import asyncio
import contextlib
import io
import wave
from pathlib import Path

import pytest

from edge.cli import main
from edge.commands import Caller, CommandRequest
from edge.config.loader import parse_config
from edge.daemon.app import Daemon
from edge.store import EventReader
from edge.timesync import ClockSync
from tests.fakes import wait_until

SITE = """
[site]
box_id = "b"
[store]
data_dir = "{data}"
[console]
enabled = false
[[devices]]
kind = "sim.sos"
id = "sos-b3-u2"
name = "SOS B3-U2"
location = "3号楼2单元"
[[devices]]
kind = "sim.speaker"
id = "spk-1"
out_dir = "{data}/speaker"
"""


def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(data=tmp_path / "var"))
    return path


async def test_an_sos_press_is_announced_at_once_in_mandarin(tmp_path: Path) -> None:
    daemon = Daemon(parse_config(site(tmp_path).read_text()), clock_sync=ClockSync(fixed=True), out=io.StringIO())
    played: list = []
    daemon.bus.subscribe(played.append, types=["broadcast.played"])
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(daemon.run(stop))
        await wait_until(lambda: daemon.health.counts()["online"] == 2, 5)
        await daemon.commands.dispatch(CommandRequest("sim.press", "sos-b3-u2", caller=Caller.cli()))
        await wait_until(lambda: len(played) >= 1, 10)
        stop.set()
    first = played[0].data
    assert first["what"] == "3号楼2单元，一键报警，请立即处理" and first["urgency"] == "life_safety"
    assert first["result"] in ("ok", "interrupted") and first["started_after_ms"] < 300
    (wav,) = sorted((tmp_path / "var" / "speaker").glob("*.wav"))[:1]
    with wave.open(str(wav)) as clip:
        assert clip.getnframes() / clip.getframerate() > 1.0


async def test_edge_say_goes_through_the_running_daemon_as_the_cli(tmp_path: Path) -> None:
    path = site(tmp_path)
    daemon = Daemon(parse_config(path.read_text()), clock_sync=ClockSync(fixed=True), out=io.StringIO())
    played: list = []
    daemon.bus.subscribe(played.append, types=["broadcast.played"])
    out = io.StringIO()
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(daemon.run(stop))
        await wait_until(lambda: daemon.health.counts()["online"] == 2, 5)
        with contextlib.redirect_stdout(out):
            assert await asyncio.to_thread(main, ["say", "hello", "--voice", "en", "--config", str(path)]) == 0
        await wait_until(lambda: len(played) >= 1, 10)
        stop.set()
    assert "announced on spk-1 (by the running daemon)" in out.getvalue().splitlines()  # beside the daemon's log
    assert played[0].data["source"] == "cli" and played[0].data["what"] == "hello"
    with EventReader(daemon.writer.path) as reader:
        [result] = [e for e in reader.iter_all() if e.type == "command.result"]
    assert (result.device_id, result.data["command"], result.data["source"], result.data["ok"]) == (
        None, "broadcast", "cli", True
    )


def test_edge_say_without_a_daemon_writes_the_file_sink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "3号楼2单元 一键报警", "--config", str(site(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("spk-1: played") and "written to" in out
    (wav,) = (tmp_path / "var" / "speaker").glob("*.wav")
    with wave.open(str(wav)) as clip:
        assert clip.getnchannels() == 1 and clip.getframerate() == 22050 and clip.getnframes() > 22050


def test_edge_say_to_an_unknown_speaker_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "hello", "--speaker", "nope", "--config", str(site(tmp_path))]) == 1
    assert capsys.readouterr().err == "edge: no speaker or group 'nope' in the config\n"
