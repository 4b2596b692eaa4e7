"""SimSosButton: presses by hand and on a period, release times, unplugging, priority."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from drivers.base import Command, CommandResult, DriverError, HealthState, Priority
from drivers.events import SosPressed, SosReleased
from drivers.sim.sos import SimSosButton, SimSosConfig
from tests.drivers.fakes import EventSink, running
from tests.fakes import FakeClock


def make_button(**settings: object) -> tuple[SimSosButton, EventSink, FakeClock]:
    sink, clock = EventSink(), FakeClock()
    return SimSosButton(SimSosConfig(id="sos-1", **settings), sink, clock), sink, clock


def test_an_unreachable_sos_button_is_life_safety() -> None:
    assert SimSosButton.offline_priority is Priority.LIFE_SAFETY
    assert SosPressed.PRIORITY is Priority.LIFE_SAFETY


async def test_press_and_release_by_hand() -> None:
    button, sink, clock = make_button()
    async with running(button):
        assert await button.execute(Command("sim.press")) == CommandResult(True, "pressed")
        assert sink.types() == ["sos.pressed"]  # stored before execute answered
        assert (await button.execute(Command("sim.press"))).detail == "pressed already"
        await clock.advance(2.5)
        assert await button.execute(Command("sim.release")) == CommandResult(True, "released after 2.5 s")
        assert (await button.execute(Command("sim.release"))).detail == "not pressed"
        await clock.advance(3600)  # nothing periodic without press_every_s
    assert sink.types() == ["sos.pressed", "sos.released"]
    assert sink.of(SosReleased)[0].held_s == pytest.approx(2.5)
    assert sink.of(SosPressed)[0].occurred_at == FakeClock().now()


async def test_periodic_presses_are_released_after_hold_s() -> None:
    button, sink, clock = make_button(press_every_s=30, hold_s=1.0)
    async with running(button):
        await clock.advance(29)
        assert sink.events == []
        await clock.advance(1)
        assert button.pressed
        await clock.advance(1)
        assert not button.pressed
        await clock.advance(30)
    assert sink.types() == ["sos.pressed", "sos.released"] * 2
    assert [e.held_s for e in sink.of(SosReleased)] == [pytest.approx(1.0)] * 2


async def test_unplugged_button_goes_offline_and_refuses_presses() -> None:
    button, sink, clock = make_button()
    async with running(button) as task:
        assert (await button.execute(Command("sim.unplug"))).ok
        await asyncio.wait([task], timeout=1)
        assert isinstance(task.exception(), DriverError)
    assert (await button.probe()).state is HealthState.OFFLINE
    assert await button.execute(Command("sim.press")) == CommandResult(False, "offline")
    with pytest.raises(DriverError, match=r"unplugged \(simulated\)"):
        await button.connect()
    button.replug()
    async with running(button):
        assert (await button.probe()).state is HealthState.ONLINE
        assert (await button.execute(Command("sim.press"))).ok
    assert sink.types() == ["sos.pressed"]


async def test_a_press_held_when_unplugged_is_released_once_back() -> None:
    button, sink, clock = make_button(press_every_s=10, hold_s=1.0)
    async with running(button):
        await clock.advance(10)
        assert button.pressed
        button.unplug()
    await clock.advance(4)
    button.replug()
    async with running(button):
        pass
    assert sink.types() == ["sos.pressed", "sos.released"]
    assert sink.of(SosReleased)[0].held_s == pytest.approx(4.0)


def test_config_bounds() -> None:
    with pytest.raises(ValidationError):
        SimSosConfig(id="s", press_every_s=1)
    with pytest.raises(ValidationError):
        SimSosConfig(id="s", press_every_s=10, hold_s=10)
    assert SimSosConfig(id="s").press_every_s is None
