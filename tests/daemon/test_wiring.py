"""The composition root hands each service only its own devices, chosen by declared capability.

The daemon is built (not run) on ``tests/sites/every-kind.toml``, a site with
every registered kind, and each service is asked what it was given.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from drivers.capabilities import FacadeFeed, FaceFeed, FrameFeed, Gate, SosInput, Speaker
from edge.daemon.app import Daemon
from edge.daemon.wiring import devices_with
from edge.timesync import ClockSync
from tests.drivers.test_capabilities import EXPECTED
from tests.sites import load_site


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    return Daemon(load_site("every-kind", data=tmp_path / "var"), clock_sync=ClockSync(fixed=True), out=io.StringIO())


def test_the_site_has_every_kind_and_each_device_is_what_its_kind_implies(daemon: Daemon) -> None:
    assert {d.config.kind for d in daemon.drivers.values()} == set(EXPECTED)
    for device_id, driver in daemon.drivers.items():
        capabilities = {c for c in (FrameFeed, FaceFeed, FacadeFeed, Speaker, Gate, SosInput) if isinstance(driver, c)}
        assert capabilities == EXPECTED[driver.config.kind], device_id


def test_devices_with_keeps_the_site_order_and_only_the_capability(daemon: Daemon) -> None:
    assert list(devices_with(daemon.drivers, Gate)) == ["gate-modbus", "gate-lcus", "gate-sim"]  # not the disabled one
    assert list(devices_with(daemon.drivers, FrameFeed)) == [
        "face-sim", "face-sim-reporting", "face-real", "facade-sim", "facade-real", "facade-streaming",
    ]
    assert devices_with({}, Speaker) == {}


def test_the_face_service_gets_the_face_cameras_that_name_a_gate(daemon: Daemon) -> None:
    assert list(daemon.faces.cameras) == ["face-sim", "face-real"]
    assert daemon.faces.cameras["face-real"].config.roi == (0.25, 0.1, 0.75, 0.9)


def test_the_fall_service_gets_the_facade_cameras_with_a_calibration(daemon: Daemon) -> None:
    assert list(daemon.falls.cameras) == ["facade-sim", "facade-real"]
    assert [c.declared_fps for c in daemon.falls.cameras.values()] == [None, 12.5]
    assert daemon.falls.cameras["facade-sim"].config.building == "Building 3, south face"


def test_the_broadcasts_get_the_speakers_and_warm_the_phrases_of_the_sos_inputs(daemon: Daemon) -> None:
    assert list(daemon.broadcasts.manager.speakers) == ["spk-sim", "spk-alsa", "spk-cloud", "spk-http"]
    assert list(daemon.broadcasts.manager.channels) == list(daemon.broadcasts.manager.speakers)
    assert list(daemon.broadcasts.sos_inputs) == ["sos-modbus", "sos-sim"]


async def test_alarm_phrases_are_rendered_at_start_for_the_sos_inputs_only(daemon: Daemon) -> None:
    rendered: list[str] = []

    async def render(text: str, voice: str, rate: int) -> Path:
        rendered.append(text)
        return Path("/nonexistent.wav")

    daemon.broadcasts._render = render  # type: ignore[method-assign]
    await daemon.broadcasts._warm_alarm_phrases()
    assert len(rendered) == 2
    assert "Building 1, ground floor" in rendered[0] and "SOS, building 3" in rendered[1]
