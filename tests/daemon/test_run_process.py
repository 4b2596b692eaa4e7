"""``edge run`` as a real process: sd_notify, ``edge status`` within 10 s, SIGTERM within 5 s."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
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
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_demo_facade.py"), str(video.parent)], check=True,
                   capture_output=True, timeout=60)
    text = text.replace('"var/demo/facade-b3', f'"{video.parent}/facade-b3')
    assert text.count(str(tmp_path)) == 5
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


class NotifyListener:
    """Plays systemd's side of sd_notify: a datagram socket read all the time by a thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="notify-listener")
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self._sock.recv(4096).decode())
            except TimeoutError:
                continue

    def wait_for(self, wanted: str, deadline_s: float) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if any(wanted in m.split("\n") for m in list(self.messages)):
                return
            time.sleep(0.01)
        raise AssertionError(f"{wanted} not received within {deadline_s} s; got {self.messages[-5:]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def notify(tmp_path: Path):
    listener = NotifyListener(tmp_path / "notify.sock")
    yield listener
    listener.close()


def test_demo_site_comes_up_reports_status_and_stops_on_sigterm(site: Path, notify, tmp_path: Path) -> None:
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "400000"}
    started = time.monotonic()
    proc = subprocess.Popen([*EDGE, "run", "--config", str(site)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        notify.wait_for("READY=1", 10)
        notify.wait_for("WATCHDOG=1", 2)
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
        notify.wait_for("STOPPING=1", 1)
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


def test_a_killed_daemon_takes_its_face_workers_with_it(site: Path, notify) -> None:
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path)}
    proc = subprocess.Popen([*EDGE, "run", "--config", str(site)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        notify.wait_for("READY=1", 10)
        deadline = time.monotonic() + 10
        workers: list[psutil.Process] = []
        while not workers and time.monotonic() < deadline:  # the face workers start beside the devices
            workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
                       if any("spawn_main" in part for part in p.cmdline())]
            time.sleep(0.1)
        assert workers, "no face worker process started"
        proc.kill()  # no chance to clean up
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert alive == [] and len(gone) == len(workers)
        proc.communicate(timeout=5)  # nobody holds its output pipes any more
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
