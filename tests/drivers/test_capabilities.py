"""drivers.capabilities: every registered kind declares the capabilities its kind implies, and has
what each capability promises (a face camera's config has a gate, a speaker says what it plays...)."""

from __future__ import annotations

import inspect

import pytest

from drivers import registry
from drivers.base import Driver, Priority
from drivers.capabilities import (
    CAPABILITIES,
    GATE_COMMANDS,
    SPEAKER_COMMANDS,
    FacadeFeed,
    FaceFeed,
    FrameFeed,
    Gate,
    SosInput,
    Speaker,
)
from drivers.capabilities.facade_camera import FacadeCameraSettings
from drivers.capabilities.face_camera import GATE_KINDS, FaceCameraSettings
from drivers.speaker.commands import PLAY_FORMS

#: what each kind is; a new kind needs its line here
EXPECTED: dict[str, set[type[Driver]]] = {
    "sim.gate": {Gate},
    "modbus.gate": {Gate},
    "lcus.relay": {Gate},
    "sim.sos": {SosInput},
    "modbus.sos": {SosInput},
    "sim.face_camera": {FrameFeed, FaceFeed},
    "camera.face": {FrameFeed, FaceFeed},
    "sim.facade_camera": {FrameFeed, FacadeFeed},
    "camera.facade": {FrameFeed, FacadeFeed},
    "sim.speaker": {Speaker},
    "speaker.alsa": {Speaker},
    "speaker.mqtt_cloud": {Speaker},
    "speaker.http_ip": {Speaker},
    "modbus.rtu_bus": set(),  # a bus: the devices on it have the capabilities
}


def kinds_with(capability: type[Driver]) -> set[str]:
    return {kind for kind, driver in registry.DRIVERS.items() if issubclass(driver, capability)}


def test_every_registered_kind_is_in_the_table() -> None:
    assert set(EXPECTED) == set(registry.DRIVERS)


@pytest.mark.parametrize("kind", sorted(registry.DRIVERS))
def test_each_kind_declares_exactly_the_capabilities_it_implies(kind: str) -> None:
    driver = registry.driver_class(kind)
    assert {c for c in CAPABILITIES if issubclass(driver, c)} == EXPECTED[kind]
    assert not inspect.isabstract(driver), f"{driver.__name__} leaves {sorted(driver.__abstractmethods__)} out"


def test_frame_feeds_hand_out_frames_and_say_their_configured_rate() -> None:
    for kind in kinds_with(FrameFeed):
        driver = registry.driver_class(kind)
        assert inspect.iscoroutinefunction(driver.next_frame), kind
        assert "fps" in driver.config_model.model_fields, kind  # what declared_fps reads
    assert kinds_with(FaceFeed) | kinds_with(FacadeFeed) == kinds_with(FrameFeed)
    assert not kinds_with(FaceFeed) & kinds_with(FacadeFeed)


def test_face_and_facade_cameras_have_their_typed_settings() -> None:
    assert kinds_with(FaceFeed) == {"sim.face_camera", "camera.face"}
    assert all(issubclass(registry.DRIVERS[k].config_model, FaceCameraSettings) for k in kinds_with(FaceFeed))
    assert kinds_with(FacadeFeed) == {"sim.facade_camera", "camera.facade"}
    assert all(issubclass(registry.DRIVERS[k].config_model, FacadeCameraSettings) for k in kinds_with(FacadeFeed))
    others = set(registry.DRIVERS) - kinds_with(FrameFeed)
    assert not any(issubclass(registry.DRIVERS[k].config_model, FaceCameraSettings | FacadeCameraSettings)
                   for k in others)


def test_speakers_take_the_speaker_commands_and_say_what_they_play() -> None:
    for kind in kinds_with(Speaker):
        driver = registry.DRIVERS[kind]
        assert driver.commands >= SPEAKER_COMMANDS, kind
        assert driver.plays and driver.plays <= PLAY_FORMS, kind
    assert {k for k, d in registry.DRIVERS.items() if "speaker.play" in d.commands} == kinds_with(Speaker)
    assert {k for k in kinds_with(Speaker) if "text" in registry.DRIVERS[k].plays} == {"speaker.mqtt_cloud"}


def test_gates_take_the_gate_commands_and_are_what_a_face_camera_may_open() -> None:
    assert all(registry.DRIVERS[k].commands >= GATE_COMMANDS for k in kinds_with(Gate))
    assert {k for k, d in registry.DRIVERS.items() if d.commands & GATE_COMMANDS} == kinds_with(Gate)
    assert set(GATE_KINDS) == kinds_with(Gate)


def test_sos_inputs_are_life_safety_when_they_go_offline() -> None:
    assert kinds_with(SosInput) == {"sim.sos", "modbus.sos"}
    assert all(registry.DRIVERS[k].offline_priority is Priority.LIFE_SAFETY for k in kinds_with(SosInput))
