"""Gates and SOS buttons end to end: a real Modbus peer's inputs -> drivers -> events in the store.

The daemon runs on the site's FakeClock (see conftest): polls come every 50 ms of clock
time, so what the drivers measure (how long a button was held, a door open, a pulse)
is exact. Inputs are changed between two polls (``BETWEEN_POLLS``), never on one.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from edge.commands import Caller, CommandRequest
from edge.store import EventReader
from tests.modbus.conftest import ModbusSite

UNIT_GATE, UNIT_ALARMS = 2, 3
DOOR, EXIT = 0, 1
SOS = 5
POLL_S = 0.05  # the site's poll_interval_ms
BETWEEN_POLLS = 0.02


async def test_inputs_are_polled_every_poll_interval_of_clock_time(site: ModbusSite) -> None:
    bus = site.daemon.drivers["rs485"]
    seen: list[float] = []
    unsubscribe = bus.subscribe(UNIT_ALARMS, lambda sample: seen.append(sample.at))
    polls_before = bus.counters["polls"]
    await site.clock.advance(1.0 + BETWEEN_POLLS)
    unsubscribe()
    assert len(seen) == 20 and bus.counters["polls"] - polls_before == 40  # two modules, 20 cycles
    assert [round(b - a, 9) for a, b in itertools.pairwise(seen)] == [POLL_S] * 19


async def test_sos_press_and_release_are_events_from_the_peer_inputs(site: ModbusSite) -> None:
    site.peer.set_input(UNIT_ALARMS, SOS, True)
    pressed = await site.wait_for("sos.pressed", "sos-b3-u2")
    assert pressed.priority == 0
    await site.clock.advance(0.1 + BETWEEN_POLLS)
    site.peer.set_input(UNIT_ALARMS, SOS, False)
    released = await site.wait_for("sos.released", "sos-b3-u2")
    assert released.data["held_s"] == 0.15  # press and release each seen at the first poll after them
    assert site.between(pressed, released) == 0.15
    with EventReader(site.daemon.writer.path) as reader:  # durably stored, not just announced
        assert pressed.event_id in {e.event_id for e in reader.iter_all()}


async def test_door_opened_without_grant_is_forced_open(site: ModbusSite) -> None:
    site.peer.set_input(UNIT_GATE, DOOR, True)
    forced = await site.wait_for("door.forced_open", "gate-north")
    assert forced.priority == 1
    site.peer.set_input(UNIT_GATE, DOOR, False)
    await site.wait_for("door.closed", "gate-north")


async def test_granted_opening_held_too_long_raises_held_open(site: ModbusSite) -> None:
    await site.clock.advance(BETWEEN_POLLS)
    command = CommandRequest("gate.open", "gate-north", {"ms": 500}, caller=Caller.rule("face"))
    result = await site.daemon.commands.dispatch(command)
    assert result.ok, result.detail
    assert site.peer.coil(UNIT_GATE, 0) is True  # fail-secure: energised = open
    site.peer.set_input(UNIT_GATE, DOOR, True)
    opened = await site.wait_for("door.opened", "gate-north")
    held = await site.wait_for("door.held_open", "gate-north", within_s=3)
    assert held.priority == 1 and held.data["open_s"] == 0.6  # exactly held_open_after_s
    assert site.between(opened, held) == 0.6
    assert not site.of_type("door.forced_open")
    assert site.peer.coil(UNIT_GATE, 0) is False  # the pulse ended by itself
    pulse, pulse_end = site.of_type("gate.relay")[-2:]
    assert (pulse.data["reason"], pulse_end.data["reason"]) == ("pulse", "pulse-end")
    assert (pulse.data["state"], pulse_end.data["state"]) == ("open", "locked")
    assert site.between(pulse, pulse_end) == 0.5  # the 500 ms asked for, to the microsecond
    await site.clock.advance(BETWEEN_POLLS)
    site.peer.set_input(UNIT_GATE, DOOR, False)
    closed = await site.wait_for("door.closed", "gate-north")
    assert closed.data["open_s"] == 0.65  # seen closed at the first poll after held-open


async def test_exit_button_opens_the_lock_and_the_door_is_not_forced(site: ModbusSite) -> None:
    site.peer.set_input(UNIT_GATE, EXIT, True)
    await site.wait_for("door.exit_pressed", "gate-north")
    assert site.peer.coil(UNIT_GATE, 0) is True  # opened by the driver itself, in the same poll
    site.peer.set_input(UNIT_GATE, EXIT, False)
    site.peer.set_input(UNIT_GATE, DOOR, True)
    await site.wait_for("door.opened", "gate-north")
    site.peer.set_input(UNIT_GATE, DOOR, False)
    await site.wait_for("door.closed", "gate-north")
    assert not site.of_type("door.forced_open")
    assert site.of_type("gate.relay")[-1].data["reason"] in ("exit-button", "pulse-end")


async def test_commands_hold_and_lock_and_refuse_bad_arguments(site: ModbusSite) -> None:
    dispatch = site.daemon.commands.dispatch
    assert (await dispatch(CommandRequest("gate.hold_open", "gate-north", caller=Caller.cli()))).ok
    assert site.peer.coil(UNIT_GATE, 0) is True
    await site.clock.advance(0.6)  # no pulse end while held (12 polls)
    assert site.peer.coil(UNIT_GATE, 0) is True
    assert (await dispatch(CommandRequest("gate.lock", "gate-north", caller=Caller.cli()))).ok
    assert site.peer.coil(UNIT_GATE, 0) is False
    bad = await dispatch(CommandRequest("gate.open", "gate-north", {"ms": "forever"}, caller=Caller.cli()))
    assert not bad.ok and "ms must be" in bad.detail
    results = [(e.data["command"], e.data["ok"]) for e in site.of_type("command.result")]
    assert results == [("gate.hold_open", True), ("gate.lock", True), ("gate.open", False)]


async def test_a_stalled_module_never_stalls_the_event_loop(site: ModbusSite) -> None:
    lateness: list[float] = []

    async def ticker() -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(0.01)
            lateness.append(time.monotonic() - started - 0.01)

    bus = site.daemon.drivers["rs485"]
    async with asyncio.TaskGroup() as group:
        task = group.create_task(ticker())
        site.peer.response_delay_s = 0.3  # far beyond the 80 ms request timeout
        for unit in (UNIT_GATE, UNIT_ALARMS):  # and its answers never come: a late one would land on
            site.peer.mute_unit(unit)  # a later request at a moment only the wire decides
        offline = await site.wait_for("device.offline", "sos-b3-u2")
        assert offline.priority == 0  # nobody can call for help there
        assert "no reply" in offline.data["reason"]
        assert (bus.counters["timeouts"], bus.counters["corrupt_replies"]) == (6, 0)  # 3 polls of 2 modules
        site.peer.response_delay_s = 0.0
        for unit in (UNIT_GATE, UNIT_ALARMS):
            site.peer.mute_unit(unit, False)
        await site.clock.run_until(site.all_online, 5)
        task.cancel()
    # real time on purpose: this is about the event loop never being blocked, not about the clock
    assert max(lateness) < 0.05, f"event loop stalled for {max(lateness) * 1000:.0f} ms"


async def test_corrupt_frames_are_counted_and_the_bus_recovers(site: ModbusSite) -> None:
    def flip_crc(direction: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 0xFF]) if direction == "to_driver" and data else data

    site.cable.manipulate(flip_crc)
    await site.wait_for("device.offline", "sos-b3-u2")
    site.cable.manipulate(None)
    await site.clock.run_until(site.all_online, 5)
    bus = site.daemon.drivers["rs485"]
    assert bus.counters["corrupt_replies"] >= 3
    site.cable.manipulate(lambda d, data: (b"\x00\xff\x13" + data) if d == "to_driver" else data)  # garbage
    await site.clock.advance(0.3)
    site.cable.manipulate(None)
    await site.clock.run_until(site.all_online, 5)
    site.peer.set_input(UNIT_ALARMS, SOS, True)
    await site.wait_for("sos.pressed", "sos-b3-u2")


async def test_a_gate_held_open_is_locked_when_the_daemon_stops(site: ModbusSite) -> None:
    assert (await site.daemon.commands.dispatch(CommandRequest("gate.hold_open", "gate-north", caller=Caller.cli()))).ok
    assert site.peer.coil(UNIT_GATE, 0) is True
    pulse = await site.daemon.commands.dispatch(CommandRequest("gate.open", "gate-north", {"ms": 200}, caller=Caller.cli()))
    assert pulse.ok
    await site.clock.advance(0.4)  # twice the pulse
    assert site.peer.coil(UNIT_GATE, 0) is True, "a pulse must not end a hold"
    gate = site.daemon.drivers["gate-north"]
    await gate.close()  # what the supervisor does on shutdown
    assert site.peer.coil(UNIT_GATE, 0) is False
