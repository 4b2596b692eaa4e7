"""The Modbus site used by ``edge bench io`` and by the tests: one bus, a gate, an SOS button.

Module 2 (4 relays, 4 inputs) carries the north gate: relay 0 is its lock,
input 0 its door switch, input 1 its exit button. Module 3 (8 inputs) carries
the SOS button of building 3, unit 2, on input 5.
"""

from __future__ import annotations

from pathlib import Path

from edge.config.loader import parse_config
from edge.config.model import EdgeConfig

MODULES = {2: (4, 4), 3: (0, 8)}
GATE_UNIT, DOOR_INPUT, EXIT_INPUT, RELAY_COIL = 2, 0, 1, 0
SOS_UNIT, SOS_INPUT = 3, 5

_SITE = """
[site]
box_id = "modbus-box"
[store]
data_dir = "{data}"
[console]
enabled = false
[supervisor]
probe_interval_s = 0.5
backoff_initial_s = {backoff_initial}
backoff_max_s = {backoff_max}

[[devices]]
kind = "modbus.rtu_bus"
id = "rs485"
port = "{port}"
baudrate = 115200
request_timeout_ms = 80
poll_interval_ms = {poll_ms}
[[devices.modules]]
unit = 2
coils = 4
inputs = 4
[[devices.modules]]
unit = 3
inputs = 8

[[devices]]
kind = "modbus.gate"
id = "gate-north"
bus = "rs485"
relay = {{ unit = 2, index = 0 }}
door_sensor = {{ unit = 2, index = 0 }}
exit_button = {{ unit = 2, index = 1 }}
pulse_ms = 400
held_open_after_s = 0.6
debounce_ms = 60

[[devices]]
kind = "modbus.sos"
id = "sos-b3-u2"
bus = "rs485"
input = {{ unit = 3, index = 5 }}
debounce_ms = 60
"""


def modbus_site(
    data_dir: Path, port: Path, *, poll_ms: int = 50, backoff: tuple[float, float] = (1.0, 60.0)
) -> EdgeConfig:
    text = _SITE.format(data=data_dir, port=port, poll_ms=poll_ms, backoff_initial=backoff[0], backoff_max=backoff[1])
    return parse_config(text)
