"""The downlink envelope against a real district: a signed answer is believed only for this box, this cursor,
a serial not older than the one held, and a recent issue time; a 410 only when signed. Refused whole, recorded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.bench.district import DistrictServer
from edge.downlink import CURSOR_KEY, DownlinkPoller
from edge.downlink.cache import SERIAL_KEY
from edge.store.writer import StoreWriter
from tests.downlink.helpers import RecordedEvents, rows, running
from tests.fakes import wait_until


async def refusal(poller: DownlinkPoller, recorded: RecordedEvents, type_: str = "sync.rollback_refused") -> dict:
    """Run the poller until it records a refusal of ``type_``; its data."""
    async with running(poller):
        await wait_until(lambda: recorded.of_type(type_))
        poller.request_sync()  # a retry in the same burst is not recorded again
        await wait_until(lambda: poller.status()["failing"])
    [event] = recorded.of_type(type_)
    assert event.priority == 1
    return event.data


async def state(writer: StoreWriter) -> list[tuple]:
    return await rows(writer, "SELECT key, value FROM sync_state WHERE key IN (?, ?) ORDER BY key",
                      CURSOR_KEY, SERIAL_KEY)


async def grants(writer: StoreWriter) -> list[tuple]:
    return await rows(writer, "SELECT id, deleted FROM grants ORDER BY id")


async def test_the_serial_is_held_with_the_cursor(district: DistrictServer, poller, writer) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    await poller.sync()
    district.add_change("grant", "delete", "g1")
    await poller.sync()
    assert await state(writer) == [(CURSOR_KEY, "2"), (SERIAL_KEY, "2")]


async def test_another_boxs_page_is_refused(district: DistrictServer, poller, writer, recorded) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    district.faults.other_box = "box-9"
    data = await refusal(poller, recorded)
    assert data["endpoint"] == "snapshot" and "another box" in data["reason"]
    assert await grants(writer) == [] and await state(writer) == []


async def test_a_page_for_another_cursor_is_refused(district: DistrictServer, poller, writer, recorded) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    await poller.sync()
    district.add_change("grant", "delete", "g1")
    district.faults.wrong_since = True
    data = await refusal(poller, recorded)
    assert (data["endpoint"], data["since"]) == ("changes", "1") and "another cursor" in data["reason"]
    assert await grants(writer) == [("g1", 0)] and await state(writer) == [(CURSOR_KEY, "1"), (SERIAL_KEY, "1")]


async def test_a_replayed_changes_page_is_refused(district: DistrictServer, poller, writer, recorded) -> None:
    await poller.sync()  # snapshot at 0
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    await poller.sync()  # the first changes page, since 0: recorded by the district
    district.add_change("grant", "delete", "g1")
    await poller.sync()
    district.faults.replay = "changes"
    data = await refusal(poller, recorded)
    assert data["since"] == "2" and "another cursor" in data["reason"]
    assert await grants(writer) == [("g1", 1)] and await state(writer) == [(CURSOR_KEY, "2"), (SERIAL_KEY, "2")]


async def test_an_older_snapshot_after_a_signed_410_is_refused(
    district: DistrictServer, poller, writer, recorded
) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    await poller.sync()  # the snapshot with g1, serial 1: recorded by the district
    district.add_change("grant", "delete", "g1")  # revoked
    await poller.sync()
    district.expire_before(district.add_change("resident", "upsert", "r1", {"name": "Ana"}))  # signed 410
    district.faults.replay = "snapshot"
    data = await refusal(poller, recorded)
    assert data["endpoint"] == "snapshot" and "serial older" in data["reason"]
    assert await grants(writer) == [("g1", 1)]  # still revoked
    assert await state(writer) == [(CURSOR_KEY, "2"), (SERIAL_KEY, "2")]


async def test_an_unsigned_410_is_refused_and_the_cursor_kept(
    district: DistrictServer, poller, writer, recorded
) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    await poller.sync()
    district.faults.unsigned_410 = True
    data = await refusal(poller, recorded, "sync.refused")
    assert data["endpoint"] == "changes" and data["reason"].startswith("410: ") and "not signed" in data["reason"]
    assert await grants(writer) == [("g1", 0)] and await state(writer) == [(CURSOR_KEY, "1"), (SERIAL_KEY, "1")]
    assert sum(r.path.endswith("/snapshot") for r in district.requests) == 1  # no rebuild on its word


async def test_a_stale_page_is_refused(district: DistrictServer, poller, writer, recorded) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    district.faults.issued_at = datetime.now(UTC) - timedelta(days=30)
    data = await refusal(poller, recorded)
    assert "stale" in data["reason"] and await grants(writer) == []


async def test_a_page_from_the_future_is_not_refused(district: DistrictServer, poller, writer) -> None:
    """A box clock that runs behind (not yet synced) must still take updates: revocations have to arrive."""
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    district.faults.issued_at = datetime.now(UTC) + timedelta(days=30)
    await poller.sync()
    assert await grants(writer) == [("g1", 0)]
