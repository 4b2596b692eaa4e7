"""SimGate: relay pulses and holds, the walk-through, the door by hand, fail modes, unplugging."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from drivers.base import Command, CommandResult, DriverError, HealthState
from drivers.events import DoorClosed, DoorOpened, ExitButtonPressed, RelayChanged
from drivers.sim.gate import SimGate, SimGateConfig
from tests.drivers.fakes import EventSink, running
from tests.fakes import FakeClock


def make_gate(**settings: object) -> tuple[SimGate, EventSink, FakeClock]:
    sink, clock = EventSink(), FakeClock()
    return SimGate(SimGateConfig(id="gate-1", **settings), sink, clock), sink, clock


def relay(sink: EventSink) -> list[tuple[str, str]]:
    return [(e.state, e.reason) for e in sink.of(RelayChanged)]


async def test_pulse_then_someone_walks_through() -> None:
    gate, sink, clock = make_gate(pulse_ms=3000, walk_open_delay_ms=1500, walk_close_after_ms=4000)
    async with running(gate):
        result = await gate.execute(Command("gate.open"))
        assert result == CommandResult(True, "open for 3000 ms")
        assert gate.relay_state == "open"
        assert sink.types() == ["gate.relay"]

        await clock.advance(1.5)
        assert sink.types()[-1] == "door.opened" and gate.door_is_open
        await clock.advance(1.5)
        assert relay(sink) == [("open", "pulse"), ("locked", "pulse-end")]
        assert gate.relay_state == "locked"
        await clock.advance(2.5)
        assert not gate.door_is_open

    assert sink.types() == ["gate.relay", "door.opened", "gate.relay", "door.closed"]
    assert sink.of(DoorClosed)[0].open_s == pytest.approx(4.0)
    assert sink.of(DoorOpened)[0].occurred_at == FakeClock().now() + timedelta(seconds=1.5)


async def test_pulse_length_from_args_and_extension() -> None:
    gate, sink, clock = make_gate(walk_through=False, max_pulse_ms=10_000)
    async with running(gate):
        assert (await gate.execute(Command("gate.open", {"ms": 500}))).ok
        await clock.advance(0.4)
        assert (await gate.execute(Command("gate.open", {"ms": 500}))).ok  # extends, no new event
        await clock.advance(0.4)
        assert gate.relay_state == "open"
        await clock.advance(0.2)
        assert gate.relay_state == "locked"
        for bad in (0, 10_001, "5", True):
            result = await gate.execute(Command("gate.open", {"ms": bad}))
            assert not result.ok and "ms must be" in result.detail
    assert relay(sink) == [("open", "pulse"), ("locked", "pulse-end")]
    assert sink.of(DoorOpened) == []


async def test_hold_open_outlasts_pulse_until_locked() -> None:
    gate, sink, clock = make_gate(walk_through=False)
    async with running(gate):
        await gate.execute(Command("gate.open"))
        assert (await gate.execute(Command("gate.hold_open"))).detail == "held open"
        assert (await gate.execute(Command("gate.open"))).detail == "held open already"
        await clock.advance(60)
        assert gate.relay_state == "open"
        assert (await gate.execute(Command("gate.lock"))).detail == "locked"
        assert (await gate.execute(Command("gate.lock"))).detail == "locked already"
    assert relay(sink) == [("open", "pulse"), ("open", "hold"), ("locked", "lock")]


async def test_lock_before_the_door_opens_cancels_the_walk_through() -> None:
    gate, sink, clock = make_gate(walk_open_delay_ms=1000)
    async with running(gate):
        await gate.execute(Command("gate.open"))
        await gate.execute(Command("gate.lock"))
        await clock.advance(10)
    assert sink.of(DoorOpened) == []


async def test_door_by_hand_and_exit_button() -> None:
    gate, sink, clock = make_gate()
    async with running(gate):
        assert (await gate.execute(Command("sim.door_open"))).detail == "door opened"
        assert (await gate.execute(Command("sim.door_open"))).detail == "door was open"
        await clock.advance(7.25)
        assert (await gate.execute(Command("sim.door_close"))).detail == "door closed"
        assert (await gate.execute(Command("sim.door_close"))).detail == "door was closed"
        assert (await gate.execute(Command("sim.exit_press"))).ok
    assert sink.types() == ["door.opened", "door.closed", "door.exit_pressed"]
    assert sink.of(DoorClosed)[0].open_s == pytest.approx(7.25)
    assert isinstance(sink.events[-1], ExitButtonPressed)
    assert gate.relay_state == "locked"  # raw events only: nothing reacted to the forced door


async def test_unknown_command_is_refused() -> None:
    gate, _, _ = make_gate()
    result = await gate.execute(Command("gate.explode"))
    assert not result.ok and "does not support" in result.detail


@pytest.mark.parametrize(("fail_mode", "unpowered"), [("secure", "locked"), ("safe", "open")])
async def test_fail_mode_decides_the_relay_without_power(fail_mode: str, unpowered: str) -> None:
    gate, _, _ = make_gate(fail_mode=fail_mode)
    await gate.connect()
    assert gate.relay_state == "locked"
    gate.unplug()
    assert gate.relay_state == unpowered
    gate.replug()
    await gate.connect()
    assert gate.relay_state == "locked"
    await gate.close()
    assert gate.relay_state == unpowered


async def test_unplug_stops_run_refuses_commands_and_replug_recovers() -> None:
    gate, sink, clock = make_gate(walk_through=False)
    async with running(gate) as task:
        await gate.execute(Command("gate.open"))
        assert await gate.execute(Command("sim.unplug")) == CommandResult(True, "unplugged")
        await asyncio.wait([task], timeout=1)
        assert isinstance(task.exception(), DriverError)
        assert str(task.exception()) == "unplugged (simulated)"
    assert (await gate.probe()).state is HealthState.OFFLINE
    assert await gate.execute(Command("gate.open")) == CommandResult(False, "offline")
    assert await gate.execute(Command("sim.door_open")) == CommandResult(False, "offline")
    with pytest.raises(DriverError, match="unplugged"):
        await gate.connect()

    assert (await gate.execute(Command("sim.replug"))).ok
    async with running(gate):
        await clock.advance(10)  # the dropped pulse does not end a second time
        assert (await gate.probe()).state is HealthState.ONLINE
        assert (await gate.execute(Command("gate.open"))).ok
    # reconnecting told the daemon the relay it last heard "open" is locked again
    assert relay(sink) == [("open", "pulse"), ("locked", "connect"), ("open", "pulse")]


async def test_walk_through_in_progress_still_closes_after_replug() -> None:
    gate, sink, clock = make_gate(walk_open_delay_ms=0, walk_close_after_ms=2000)
    async with running(gate):
        await gate.execute(Command("gate.open"))
        await clock.advance(0.5)
        assert gate.door_is_open
        gate.unplug()
    await clock.advance(5)
    gate.replug()
    async with running(gate):
        pass
    assert sink.types()[-2:] == ["gate.relay", "door.closed"]


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError):
        SimGateConfig(id="g", pulse_ms=5000, max_pulse_ms=1000)
    with pytest.raises(ValidationError):
        SimGateConfig(id="g", fail_mode="open")
    with pytest.raises(ValidationError):
        SimGateConfig(id="g", colour="red")
    schema = SimGateConfig.model_json_schema()
    assert schema["properties"]["pulse_ms"]["title"] == "Pulse length (ms)"
    with pytest.raises(TypeError):
        SimGate(object(), EventSink())  # type: ignore[arg-type]
