"""Pulling the USB RS-485 adapter out and putting it back, again and again.

Recovery is measured on the site's clock: back-offs, polls and connect waits are
all clock time, so a slow machine cannot make it look slower (or faster) than it is.
"""

from __future__ import annotations

import pytest

from tests.modbus.conftest import ModbusSite

DEVICES = ("rs485", "gate-north", "sos-b3-u2")


async def unplug_and_replug(site: ModbusSite, cycle: int) -> float:
    """One cycle; returns clock seconds from the port being back to every device online."""
    await site.cable.unplug()
    for device in DEVICES:
        await site.wait_for("device.offline", device, count=cycle)
    await site.cable.replug()
    back = site.clock.monotonic()
    for device in DEVICES:
        await site.wait_for("device.online", device, count=cycle + 1, within_s=6)
    return site.clock.monotonic() - back


async def test_twenty_unplugs_each_give_offline_and_online_and_recover_fast(site: ModbusSite) -> None:
    recoveries = [await unplug_and_replug(site, cycle) for cycle in range(1, 21)]
    for device in DEVICES:
        assert len(site.of_type("device.offline", device)) == 20
        assert len(site.of_type("device.online", device)) == 21
    sos_offline = site.of_type("device.offline", "sos-b3-u2")
    assert all(e.priority == 0 for e in sos_offline), "an unreachable SOS button is life-safety"
    assert all(e.priority == 2 for e in site.of_type("device.offline", "gate-north"))
    # in clock time (it was 5 s of real time): no slower than the back-offs allow,
    # the bus's cap (0.5 s, the fixture's), a device's cap, two polls
    assert max(recoveries) <= 0.5 + 0.5 + 2 * 0.05, recoveries
    site.peer.set_input(3, 5, True)  # and it still works
    await site.wait_for("sos.pressed", "sos-b3-u2")


@pytest.mark.parametrize("backoff", [(1.0, 60.0)])  # the daemon's defaults
async def test_recovery_with_default_backoff_is_within_5_s_even_after_a_long_outage(site: ModbusSite) -> None:
    await site.cable.unplug()
    await site.wait_for("device.offline", "sos-b3-u2")
    await site.clock.run_until(lambda: site.daemon.health.get("rs485").failures >= 4, 15)  # back-off has grown
    assert (await replug_and_wait(site)) <= 5.0  # the local port's 2 s retry cap, twice, and polls


async def replug_and_wait(site: ModbusSite) -> float:
    """Clock seconds from the port being back to every device online."""
    await site.cable.replug()
    return await site.clock.run_until(site.all_online, 8)
