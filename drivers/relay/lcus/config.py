"""Config of a gate lock on one channel of an LCUS USB relay board."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drivers.access.gate_config import GateLockSettings
from drivers.relay.lcus.framer import MAX_CHANNELS


class LcusRelayConfig(GateLockSettings):
    kind: Literal["lcus.relay"] = "lcus.relay"
    port: str = Field(
        min_length=1, title="Serial port",
        description="A device path or pyserial URL. Use the stable /dev/serial/by-id/usb-1a86_USB_Serial-if00-port0 "
        "path, not /dev/ttyUSB0 (which can change on replug or reboot); socket://host:port or "
        "rfc2217://host:port reach a board behind a network serial server.",
    )
    baudrate: int = Field(9600, ge=1200, le=115_200, title="Baud rate", description="LCUS boards use 9600.")
    channel: int = Field(1, ge=1, le=MAX_CHANNELS, title="Relay channel", description="1 to 8, as printed on the board.")
    status_query: bool = Field(
        True, title="Board answers status queries",
        description="Read every switch back with the 0xFF status query and use it as a health probe. "
        "Turn off for boards that never answer (the probe then says 'no status reply').",
    )
    request_timeout_ms: int = Field(
        500, ge=20, le=10_000, title="Request timeout (ms)",
        description="How long to wait for the board (or for the link to be free).",
    )
