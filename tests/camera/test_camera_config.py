"""Config of the cameras: URLs and passwords, the face cameras' gate and search region, the registry."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from drivers import registry
from drivers.camera.config import FaceCameraConfig
from drivers.camera.driver import FacadeCamera, FaceCamera
from drivers.capabilities.face_camera import GATE_KINDS
from drivers.sim.camera import SimFaceCameraConfig
from edge.config.loader import ConfigError, parse_config
from edge.config.model import EdgeConfig

SITE = '[site]\nbox_id = "b"\n'


def test_camera_kinds_are_registered_and_gate_kinds_are_those_that_open_gates() -> None:
    assert registry.driver_class("camera.face") is FaceCamera
    assert registry.driver_class("camera.facade") is FacadeCamera
    assert set(GATE_KINDS) == {kind for kind, driver in registry.DRIVERS.items() if "gate.open" in driver.commands}


def test_a_password_in_the_url_is_refused_without_repeating_it() -> None:
    toml = SITE + '[[devices]]\nkind = "camera.face"\nid = "cam"\nurl = "rtsp://admin:hunter2@10.0.0.5/s"\n'
    with pytest.raises(ConfigError) as info:
        parse_config(toml)
    assert "password_env" in str(info.value) and "hunter2" not in str(info.value)
    with pytest.raises(ValidationError, match="password_env"):
        FaceCameraConfig(id="cam", url="rtsp://10.0.0.5/main", sub_url="rtsp://admin:hunter2@10.0.0.5/sub")


def test_password_env_needs_a_user_in_the_url() -> None:
    with pytest.raises(ValidationError, match="needs a user named in the URL"):
        FaceCameraConfig(id="cam", url="rtsp://10.0.0.5/s", password_env="CAM_PW")
    FaceCameraConfig(id="cam", url="rtsp://admin@10.0.0.5/s", password_env="CAM_PW")


@pytest.mark.parametrize("model", [FaceCameraConfig, SimFaceCameraConfig])
def test_roi_is_fractions_with_an_area(model: type[Any]) -> None:
    url = {"url": "usb:0"} if model is FaceCameraConfig else {}
    assert model(id="cam", roi=[0.25, 0.1, 0.75, 0.9], **url).roi == (0.25, 0.1, 0.75, 0.9)
    assert model(id="cam", **url).roi is None and model(id="cam", **url).gate is None
    for bad in ([0.5, 0.1, 0.4, 0.9], [0.1, 0.5, 0.9, 0.5], [0.0, 0.0, 1.2, 1.0], [0.1, 0.2, 0.3]):
        with pytest.raises(ValidationError):
            model(id="cam", roi=bad, **url)


def devices(gate_kind: str, **extra: Any) -> list[dict[str, Any]]:
    gate: dict[str, Any] = {"kind": gate_kind, "id": "gate-n", **extra}
    return [gate, {"kind": "sim.face_camera", "id": "cam-1", "gate": "gate-n"},
            {"kind": "camera.face", "id": "cam-2", "url": "usb:0", "gate": "gate-n"}]


BUS = {"kind": "modbus.rtu_bus", "id": "bus", "port": "/dev/null", "modules": [{"unit": 1, "coils": 4}]}


@pytest.mark.parametrize(
    ("kind", "extra", "more"),
    [("sim.gate", {}, []), ("lcus.relay", {"port": "/dev/null"}, []),
     ("modbus.gate", {"bus": "bus", "relay": {"unit": 1, "index": 0}}, [BUS])],
)
def test_a_face_camera_may_open_any_kind_of_gate(kind: str, extra: dict[str, Any], more: list[Any]) -> None:
    config = EdgeConfig.model_validate({"site": {"box_id": "b"}, "devices": devices(kind, **extra) + more})
    assert config.reference_problems() == []


def test_a_face_camera_gate_must_exist_and_be_a_gate() -> None:
    raw = {"site": {"box_id": "b"}, "devices": devices("sim.sos")}
    with pytest.raises(ValidationError, match="'gate-n' is a sim.sos, not a sim.gate, modbus.gate or lcus.relay"):
        EdgeConfig.model_validate(raw)
    raw = {"site": {"box_id": "b"}, "devices": devices("sim.gate")[1:]}
    with pytest.raises(ValidationError, match="needs sim.gate, modbus.gate or lcus.relay 'gate-n', which is not"):
        EdgeConfig.model_validate(raw)
