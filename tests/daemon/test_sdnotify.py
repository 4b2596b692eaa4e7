"""sd_notify over a real datagram socket, path and abstract namespace."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from edge.daemon.sdnotify import SdNotifier


@pytest.mark.parametrize("abstract", [False, True])
def test_ready_watchdog_stopping_reach_the_socket(tmp_path: Path, abstract: bool) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        if abstract:
            name = f"edge-test-{os.getpid()}-{id(tmp_path)}"
            sock.bind("\0" + name)
            address = "@" + name
        else:
            address = str(tmp_path / "notify")
            sock.bind(address)
        sock.settimeout(2)
        notifier = SdNotifier(address)
        assert notifier.enabled
        assert notifier.ready("3 devices") and notifier.watchdog() and notifier.stopping()
        got = [sock.recv(1024).decode() for _ in range(3)]
    assert got == ["READY=1\nSTATUS=3 devices", "WATCHDOG=1", "STOPPING=1"]


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SdNotifier()
    assert not notifier.enabled and notifier.ready() is False


def test_a_vanished_socket_does_not_raise(tmp_path: Path) -> None:
    assert SdNotifier(str(tmp_path / "gone")).watchdog() is False


def test_watchdog_interval_is_half_the_period_for_this_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert SdNotifier.watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert SdNotifier.watchdog_interval_s() is None


def test_a_reader_that_stops_reading_never_blocks_the_sender(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        notifier = SdNotifier(str(tmp_path / "notify"))
        results = [notifier.watchdog() for _ in range(5000)]  # far beyond any datagram queue
    assert results[0] is True and results[-1] is False
