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
from edge.config.loader import load_config
from edge.store import EventReader
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.sites import site_text


def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(site_text("sos-speaker", data=tmp_path / "var"))
    return path


async def test_an_sos_press_is_announced_at_once_in_mandarin(tmp_path: Path) -> None:
    async with running_daemon(load_config(site(tmp_path)), online=2, within_s=5) as running:
        await running.daemon.commands.dispatch(CommandRequest("sim.press", "sos-b3-u2", caller=Caller.cli()))
        await wait_until(lambda: running.of_type("broadcast.played"), 10)
    first = running.of_type("broadcast.played")[0].data
    assert first["what"] == "3号楼2单元，一键报警，请立即处理" and first["urgency"] == "life_safety"
    assert first["result"] in ("ok", "interrupted") and first["started_after_ms"] < 300
    (wav,) = sorted((tmp_path / "var" / "speaker").glob("*.wav"))[:1]
    with wave.open(str(wav)) as clip:
        assert clip.getnframes() / clip.getframerate() > 1.0


async def test_edge_say_goes_through_the_running_daemon_as_the_cli(tmp_path: Path) -> None:
    path = site(tmp_path)
    out = io.StringIO()
    async with running_daemon(load_config(path), online=2, within_s=5) as running:
        with contextlib.redirect_stdout(out):
            assert await asyncio.to_thread(main, ["say", "hello", "--voice", "en", "--config", str(path)]) == 0
        await wait_until(lambda: running.of_type("broadcast.played"), 10)
    played, daemon = running.of_type("broadcast.played"), running.daemon
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
