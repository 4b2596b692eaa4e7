"""Which driver class serves which ``kind`` of device.

One explicit table, no plugin discovery: to add a driver, import it here and
give it a line. The daemon builds its ``[[devices]]`` config from
:func:`config_models` and makes each device's driver with :func:`driver_class`.
"""

from __future__ import annotations

from drivers.base import Driver, DriverConfig
from drivers.camera.driver import FacadeCamera, FaceCamera
from drivers.modbus.bus import ModbusRtuBus
from drivers.modbus.gate import ModbusGate
from drivers.modbus.sos import ModbusSosButton
from drivers.relay.lcus.driver import LcusRelayGate
from drivers.sim.camera import SimFacadeCamera, SimFaceCamera
from drivers.sim.gate import SimGate
from drivers.sim.sos import SimSosButton
from drivers.sim.speaker import SimSpeaker
from drivers.speaker.alsa.driver import AlsaSpeaker
from drivers.speaker.http_ip.driver import HttpSpeaker
from drivers.speaker.mqtt_cloud.driver import CloudSpeaker

DRIVERS: dict[str, type[Driver]] = {
    "sim.gate": SimGate,
    "sim.sos": SimSosButton,
    "sim.face_camera": SimFaceCamera,
    "sim.facade_camera": SimFacadeCamera,
    "sim.speaker": SimSpeaker,
    "speaker.alsa": AlsaSpeaker,
    "lcus.relay": LcusRelayGate,
    "modbus.rtu_bus": ModbusRtuBus,
    "modbus.gate": ModbusGate,
    "modbus.sos": ModbusSosButton,
    "speaker.mqtt_cloud": CloudSpeaker,
    "speaker.http_ip": HttpSpeaker,
    "camera.face": FaceCamera,
    "camera.facade": FacadeCamera,
}


def driver_class(kind: str) -> type[Driver]:
    """The driver for ``kind``; KeyError naming the known kinds if there is none."""
    try:
        return DRIVERS[kind]
    except KeyError:
        raise KeyError(f"no driver for device kind {kind!r} (known kinds: {', '.join(sorted(DRIVERS))})") from None


def config_models() -> list[type[DriverConfig]]:
    """Every driver's config model, in the order of :data:`DRIVERS`."""
    return [driver.config_model for driver in DRIVERS.values()]
