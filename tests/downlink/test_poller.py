"""The poller against a real district: pages, 'more', tombstones, 410 rebuilds, refused pages, outages, sync now."""

from __future__ import annotations

import random

import pytest
from structlog.testing import capture_logs

from drivers.retry import Backoff
from edge.bench.district import DistrictServer, Signing
from edge.downlink import CURSOR_KEY, DownlinkPoller
from edge.store.writer import StoreWriter
from tests.downlink.helpers import RecordedEvents, rows, running
from tests.fakes import wait_until


async def residents(writer: StoreWriter) -> list[tuple]:
    return await rows(writer, "SELECT id, json_extract(data, '$.name'), deleted FROM residents ORDER BY id")


def changes_requests(district: DistrictServer) -> list[str | None]:
    return [r.query.get("since") for r in district.requests if r.path.endswith("/changes")]


async def test_first_sync_takes_the_snapshot_then_follows_more(district, poller, writer) -> None:
    district.add_change("resident", "upsert", "r0", {"name": "Zoe"})
    assert await poller.sync() == 1
    assert poller.rebuilds == 1 and poller.cursor == "1"
    for i in range(1, 6):
        district.add_change("resident", "upsert", f"r{i}", {"name": f"N{i}"})
    assert await poller.sync() == 5
    assert changes_requests(district) == ["1", "3", "5"]  # the server pages by 2: loops while "more"
    assert [r[0] for r in await residents(writer)] == [f"r{i}" for i in range(6)]
    assert await rows(writer, "SELECT value FROM sync_state WHERE key = ?", CURSOR_KEY) == [("6",)]
    assert await poller.sync() == 0


async def test_delete_becomes_a_tombstone(district, poller, writer) -> None:
    await poller.sync()
    district.add_change("resident", "upsert", "r1", {"name": "Ana"})
    district.add_change("grant", "upsert", "g1", {"person_id": "r1", "gate": "north"})
    await poller.sync()
    district.add_change("grant", "delete", "g1")
    district.add_change("resident", "delete", "r1")
    await poller.sync()
    assert await residents(writer) == [("r1", None, 1)]
    assert await rows(writer, "SELECT id, deleted FROM grants") == [("g1", 1)]


async def test_expired_cursor_rebuilds_from_the_snapshot(district, poller, writer) -> None:
    await poller.sync()
    district.add_change("resident", "upsert", "r1", {"name": "Ana"})
    district.add_change("resident", "upsert", "r2", {"name": "Ben"})
    await poller.sync()
    district.add_change("resident", "delete", "r1")
    district.add_change("face", "upsert", "f2", {"person_id": "r2", "embedding": [0.5, 0.5]})
    district.expire_before(district.add_change("resident", "upsert", "r2", {"name": "Benjamin"}))
    with capture_logs() as logs:
        assert await poller.sync() == 2
    assert poller.rebuilds == 2 and poller.cursor == "5"
    assert await residents(writer) == [("r2", "Benjamin", 0)]  # r1 gone entirely, not even a tombstone
    assert await rows(writer, "SELECT id, person_id FROM face_templates") == [("f2", "r2")]
    assert [e["event"] for e in logs if e["event"].startswith("downlink.")] == [
        "downlink.cursor_expired", "downlink.rebuilt"]


@pytest.mark.parametrize("mode", [Signing.UNSIGNED, Signing.BAD, Signing.TAMPERED])
async def test_badly_signed_pages_are_refused_and_recorded(
    district, poller, writer, recorded: RecordedEvents, backoff: Backoff, mode: Signing
) -> None:
    district.add_change("resident", "upsert", "r1", {"name": "Ana"})
    await poller.sync()
    district.add_change("grant", "upsert", "g1", {"person_id": "r1", "gate": "north"})
    district.signing = mode
    with capture_logs() as logs:
        async with running(poller):
            await wait_until(lambda: backoff.attempt >= 3)  # retried, calmly
            assert await rows(writer, "SELECT * FROM grants") == []
            assert await rows(writer, "SELECT value FROM sync_state WHERE key = ?", CURSOR_KEY) == [("1",)]
            [refusal] = recorded.of_type("sync.refused")  # once per burst, not per retry
            assert refusal.priority == 1 and refusal.data["endpoint"] == "changes" and refusal.data["since"] == "1"
            assert ("not signed" if mode is Signing.UNSIGNED else "does not match") in refusal.data["reason"]
            district.signing = Signing.VALID
            poller.request_sync()
            await wait_until(lambda: poller.cursor == "2" and not poller.status()["failing"])
    assert await rows(writer, "SELECT id FROM grants") == [("g1",)]
    assert await rows(writer, "SELECT type FROM events") == [("sync.refused",)]
    events = [e["event"] for e in logs]
    assert events.count("downlink.page_refused") == 1 and events.count("downlink.failing") == 1
    assert events.count("downlink.recovered") == 1


async def test_an_unsigned_snapshot_is_refused_too(district, poller, writer, recorded: RecordedEvents) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "*"})
    district.signing = Signing.UNSIGNED
    async with running(poller):
        await wait_until(lambda: recorded.of_type("sync.refused"))
    assert recorded.of_type("sync.refused")[0].data["endpoint"] == "snapshot"
    assert await rows(writer, "SELECT * FROM grants") == []
    assert await rows(writer, "SELECT * FROM sync_state WHERE key = ?", CURSOR_KEY) == []


async def test_district_down_backs_off_then_recovers(district, poller, writer, backoff: Backoff) -> None:
    await poller.sync()
    await district.go_down()
    with capture_logs() as logs:
        async with running(poller):
            await wait_until(lambda: backoff.attempt >= 4)
            assert poller.status()["failing"] and "ClientConnectorError" in poller.last_error
            district.add_change("resident", "upsert", "r1", {"name": "Ana"})
            await district.come_up()
            await wait_until(lambda: poller.cursor == "1", timeout=3)
            assert backoff.attempt == 0 and poller.last_error is None
    assert await residents(writer) == [("r1", "Ana", 0)]
    events = [e["event"] for e in logs]
    assert events.count("downlink.failing") == 1 and events.count("downlink.recovered") == 1
    assert events.count("downlink.still_failing") >= 3


async def test_server_errors_back_off_with_growing_capped_jittered_delays(district, poller) -> None:
    await poller.sync()
    district.fail_next(6, status=503)
    async with running(poller):
        await wait_until(lambda: len(changes_requests(district)) >= 7)
    times = [r.at for r in district.requests if r.path.endswith("/changes")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)][:6]
    assert [r.status for r in district.requests[-7:]] == [503] * 6 + [200]
    same = Backoff(0.02, 0.1, random.Random(7))  # the fixture's seed: the delays the poller drew
    expected = [same.next_delay() for _ in gaps]
    assert max(expected) <= 0.1 and expected[-1] > expected[0]
    assert all(gap >= delay for gap, delay in zip(gaps, expected, strict=True))
    assert max(gaps) < 0.1 + 0.5  # capped (generous slack for a loaded machine)


async def test_request_sync_wakes_the_poller_at_once(district, poller, writer) -> None:
    async with running(poller):
        await wait_until(lambda: poller.pages == 1)  # the first sync; next poll in an hour
        district.add_change("broadcast", "upsert", "b1", {"text": "water off at noon"})
        poller.request_sync()
        await wait_until(lambda: poller.cursor == "1", timeout=1)
    assert await rows(writer, "SELECT id, json_extract(data, '$.text') FROM broadcasts") == [
        ("b1", "water off at noon")]


async def test_store_failure_does_not_stop_the_poller(district, poller, writer, backoff, monkeypatch) -> None:
    await poller.sync()
    district.add_change("resident", "upsert", "r1", {"name": "Ana"})
    real = poller._cache.apply
    failures = iter([RuntimeError("disk on fire")] * 2)

    async def flaky(page):  # type: ignore[no-untyped-def]
        if (error := next(failures, None)) is not None:
            raise error
        await real(page)

    monkeypatch.setattr(poller._cache, "apply", flaky)
    async with running(poller):
        poller.request_sync()
        await wait_until(lambda: poller.cursor == "1" and poller.last_error is None)
    assert await residents(writer) == [("r1", "Ana", 0)]


async def test_wrong_token_is_a_failure_not_a_refusal(district, poller, recorded) -> None:
    district.tokens = {"rotated"}
    async with running(poller):
        await wait_until(lambda: poller.last_error is not None)
    assert "refused the box token (HTTP 401)" in poller.last_error
    assert recorded.of_type("sync.refused") == []


async def test_from_config(tmp_path, district: DistrictServer, monkeypatch) -> None:
    from edge.uplink.config import UplinkConfig

    monkeypatch.setenv("EDGE_TEST_TOKEN", "box-token")
    base = {"token": {"env": "EDGE_TEST_TOKEN"}, "changes_poll_s": 5}
    writer = StoreWriter(tmp_path / "e.db")
    no_https = UplinkConfig.model_validate({**base, "mqtt": {"host": "broker"}})
    with pytest.raises(ValueError, match="district_public_key"):
        DownlinkPoller.from_config(no_https, "box", writer, RecordedEvents(writer))
    bad_key = UplinkConfig.model_validate({**base, "https": {"base_url": district.base_url},
                                           "district_public_key": "bm90IGEga2V5"})
    with pytest.raises(ValueError, match="not a base64 Ed25519 public key"):
        DownlinkPoller.from_config(bad_key, "box", writer, RecordedEvents(writer))
    good = UplinkConfig.model_validate({**base, "https": {"base_url": district.base_url},
                                        "district_public_key": district.public_key_b64})
    async with writer:
        poller = DownlinkPoller.from_config(good, "box", writer, RecordedEvents(writer))
        district.add_change("config", "upsert", "speaker.volume", {"value": 4})
        async with running(poller):
            await wait_until(lambda: poller.cursor == "1")
    assert poller.status()["pages"] == 1 and poller.status()["failing"] is False
