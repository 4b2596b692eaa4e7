"""Config models of the Modbus bus and of the logical devices on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drivers.access.gate_config import GateLockSettings
from drivers.base import DriverConfig

BUS_KIND = "modbus.rtu_bus"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModuleConfig(Strict):
    unit: int = Field(ge=1, le=247, title="Unit id", description="The module's Modbus address on the bus.")
    coils: int = Field(0, ge=0, le=64, title="Relay outputs (coils)")
    inputs: int = Field(0, ge=0, le=64, title="Digital inputs")
    name: str = Field("", title="Label", description="e.g. 'cabinet B3, top rail'.")


class ModbusRtuBusConfig(DriverConfig):
    kind: Literal["modbus.rtu_bus"] = BUS_KIND
    port: str = Field(
        title="Serial port",
        description="A stable path (/dev/serial/by-id/usb-...) or any pyserial URL "
        "(socket://host:port, rfc2217://host:port for serial servers).",
    )
    baudrate: int = Field(19200, title="Baud rate")
    parity: Literal["N", "E", "O"] = Field("N", title="Parity")
    stopbits: Literal[1, 2] = Field(1, title="Stop bits")
    request_timeout_ms: int = Field(100, ge=10, le=5000, title="Request timeout (ms)")
    poll_interval_ms: int = Field(50, ge=10, le=10000, title="Input poll interval (ms)")
    failures_before_offline: int = Field(
        3, ge=1, le=100, title="Failed polls before a module is offline",
        description="Consecutive failed requests after which a module's devices go offline.",
    )
    modules: list[ModuleConfig] = Field(min_length=1, title="IO modules on this bus")

    @model_validator(mode="after")
    def _unique_units(self) -> ModbusRtuBusConfig:
        units = [m.unit for m in self.modules]
        if len(units) != len(set(units)):
            raise ValueError("two modules on one bus share a unit id")
        return self

    def module(self, unit: int) -> ModuleConfig | None:
        return next((m for m in self.modules if m.unit == unit), None)


class Channel(Strict):
    unit: int = Field(ge=1, le=247, title="Module unit id")
    index: int = Field(ge=0, le=63, title="Channel", description="Coil or input number, from 0.")


class ContactInput(Channel):
    contact: Literal["NO", "NC"] = Field(
        "NO", title="Contact",
        description="NO: closed when active. NC: open when active (a cut wire then reads as active).",
    )


class BusDeviceConfig(DriverConfig):
    bus: str = Field(title="Bus", description="The id of the modbus.rtu_bus device this is wired to.")
    debounce_ms: int = Field(100, ge=0, le=5000, title="Input debounce (ms)")

    def references(self) -> dict[str, str]:
        return {self.bus: BUS_KIND}

    def check_reference(self, target: DriverConfig) -> list[str]:
        """Problems with this device's channels on its bus (missing modules, channels out of range)."""
        if not isinstance(target, ModbusRtuBusConfig):
            return [f"{target.id} is not a {BUS_KIND}"]
        bus, problems = target, []
        for label, channel, what in self.channels():
            module = bus.module(channel.unit)
            if module is None:
                problems.append(f"{label}: bus {bus.id} has no module with unit {channel.unit}")
            elif channel.index >= (module.coils if what == "coil" else module.inputs):
                problems.append(f"{label}: module {channel.unit} has no {what} {channel.index}")
        return problems

    def channels(self) -> list[tuple[str, Channel, str]]:
        return []


class ModbusGateConfig(BusDeviceConfig, GateLockSettings):
    kind: Literal["modbus.gate"] = "modbus.gate"
    relay: Channel = Field(title="Lock relay (coil)")
    door_sensor: ContactInput | None = Field(None, title="Door-position switch (input)")
    exit_button: ContactInput | None = Field(None, title="Exit button (input)")
    exit_opens: bool = Field(True, title="Exit button opens the lock")
    held_open_after_s: float = Field(30.0, gt=0, le=3600, title="Held-open alarm after (s)")
    grant_grace_ms: int = Field(1000, ge=0, le=60_000, title="Door may open this long after the lock closes (ms)")
    exit_grace_ms: int = Field(5000, ge=0, le=60_000, title="Door may open this long after an exit press (ms)")

    def channels(self) -> list[tuple[str, Channel, str]]:
        found: list[tuple[str, Channel, str]] = [("relay", self.relay, "coil")]
        if self.door_sensor:
            found.append(("door_sensor", self.door_sensor, "input"))
        if self.exit_button:
            found.append(("exit_button", self.exit_button, "input"))
        return found


class ModbusSosConfig(BusDeviceConfig):
    kind: Literal["modbus.sos"] = "modbus.sos"
    input: ContactInput = Field(title="Button input")

    def channels(self) -> list[tuple[str, Channel, str]]:
        return [("input", self.input, "input")]
