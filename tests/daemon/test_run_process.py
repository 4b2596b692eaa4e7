"""``edge run`` as a real process: sd_notify, ``edge status`` within 10 s, SIGTERM within 5 s."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.store import EventReader

REPO = Path(__file__).resolve().parents[2]
EDGE = [sys.executable, "-m", "edge"]


def edge(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDGE, *args], capture_output=True, text=True, cwd=cwd, timeout=30)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    demo = (REPO / "config" / "demo.toml").read_text()
    text = demo.replace('data_dir = "var"', f'data_dir = "{tmp_path / "var"}"')
    text = text.replace('out_dir = "var/speaker"', f'out_dir = "{tmp_path / "var" / "speaker"}"')
    text = text.replace("port = 8780", "port = 0")
    video = tmp_path / "var" / "demo" / "gate-north.avi"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_demo_video.py"), str(video)], check=True,
                   capture_output=True, timeout=60)
    text = text.replace('video = "var/demo/gate-north.avi"', f'video = "{video}"')
    assert text.count(str(tmp_path)) == 3
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


@pytest.fixture
def notify_socket(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(10)
    yield sock, path
    sock.close()


def receive_until(sock: socket.socket, wanted: str, deadline_s: float) -> list[str]:
    seen: list[str] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            break
        seen.append(message)
        if wanted in message.split("\n"):
            return seen
    raise AssertionError(f"{wanted} not received within {deadline_s} s; got {seen}")


def test_demo_site_comes_up_reports_status_and_stops_on_sigterm(site: Path, notify_socket, tmp_path: Path) -> None:
    sock, sock_path = notify_socket
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "400000"}
    started = time.monotonic()
    proc = subprocess.Popen([*EDGE, "run", "--config", str(site)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        receive_until(sock, "READY=1", 10)
        receive_until(sock, "WATCHDOG=1", 2)
        status = None
        while time.monotonic() - started < 10:
            answer = edge("status", "--json", "--config", str(site))
            if answer.returncode == 0:
                status = json.loads(answer.stdout)
                break
            time.sleep(0.2)
        assert status is not None, "edge status did not report every device online within 10 s"
        assert len(status["devices"]) == 6
        assert all(d["state"] == "online" for d in status["devices"])
        text = edge("status", "--config", str(site))
        assert "6 online, 0 degraded, 0 offline" in text.stdout

        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - stopping < 5.0, "shutdown took longer than 5 s"
        receive_until(sock, "STOPPING=1", 1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "console  http://127.0.0.1:" in out and "console-initial-password" in out
    assert "Traceback" not in err
    with EventReader(tmp_path / "var" / "events.db") as reader:
        types = [e.type for e in reader.iter_all()]
        assert reader.integrity() == "ok"
    assert types[0] == "daemon.started" and types[-1] == "daemon.stopped"
    assert types.count("device.online") == 6


def test_status_without_daemon_is_one_clear_line(site: Path) -> None:
    answer = edge("status", "--config", str(site))
    assert answer.returncode == 3
    assert answer.stderr.startswith("edge: the daemon is not running") and answer.stderr.count("\n") == 1


def test_run_with_bad_config_exits_1_naming_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nbox_id = "Not Valid!"\n')
    answer = edge("run", "--config", str(bad))
    assert answer.returncode == 1
    assert "site.box_id" in answer.stderr and "line 2" in answer.stderr
    assert "Traceback" not in answer.stderr
