"""The stand-in district keeps the contract: idempotent uploads, rejected shapes, auth, faults, signed pages."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.bench.district import SIGNATURE_HEADER, DistrictServer, Signing

BOX = "box-1"
AUTH = {"Authorization": "Bearer box-token"}


def event(seq: int, **overrides: Any) -> dict[str, Any]:
    wire = {
        "event_id": str(uuid.uuid4()), "seq": seq, "type": "gate.opened", "priority": 2,
        "occurred_at": "2026-11-27T08:00:00.000Z", "clock_synced": True, "device_id": "gate-1",
        "data": {"by": "button"}, "media": [],
    }
    wire.update(overrides)
    return wire


@pytest.fixture
async def district() -> AsyncIterator[DistrictServer]:
    async with DistrictServer(tokens=["box-token", "other-token"]) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=AUTH) as session:
        yield session


async def post(http: aiohttp.ClientSession, district: DistrictServer, events: list[Any], **kw: Any) -> Any:
    url = f"{district.base_url}/v1/boxes/{BOX}/events"
    async with http.post(url, json={"box_id": BOX, "events": events}, **kw) as response:
        return response.status, await response.json()


def verify(district: DistrictServer, body: bytes, signature: str) -> None:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(district.public_key_b64))
    key.verify(base64.b64decode(signature), body)


async def test_events_are_stored_once_per_event_id(district, http) -> None:
    batch = [event(1), event(2)]
    assert await post(http, district, batch) == (200, {"accepted": [e["event_id"] for e in batch], "rejected": []})
    status, reply = await post(http, district, [batch[1], event(3)])
    assert status == 200 and len(reply["accepted"]) == 2
    assert district.duplicates == 1
    assert district.seqs(BOX) == [1, 2, 3]
    assert [e["seq"] for e in district.arrived(BOX)] == [1, 2, 3]


async def test_contract_breaking_events_are_rejected_one_by_one(district, http) -> None:
    good = event(1)
    no_type = event(2)
    del no_type["type"]
    bad = [
        no_type, event(3, priority=4), event(4, priority=True), event(5, occurred_at="2026-11-27 08:00"),
        event(6, media=[{"sha256": "ab", "kind": "photo", "content_type": "x", "bytes": 1}]),
        event(7, extra=1), "not an event",
    ]
    status, reply = await post(http, district, [good, *bad])
    assert status == 200 and reply["accepted"] == [good["event_id"]]
    reasons = [r["reason"] for r in reply["rejected"]]
    assert reasons == [
        "missing fields ['type']", "bad priority", "bad priority", "bad occurred_at", "bad media",
        "unknown fields ['extra']", "event is not an object",
    ]
    assert reply["rejected"][-1]["event_id"] == ""
    assert district.seqs(BOX) == [1]


async def test_bad_json_or_envelope_is_400(district, http) -> None:
    url = f"{district.base_url}/v1/boxes/{BOX}/events"
    async with http.post(url, data=b"{nope") as response:
        assert response.status == 400
    async with http.post(url, json={"box_id": "someone-else", "events": []}) as response:
        assert response.status == 400
    async with http.post(url, json={"box_id": BOX, "events": {}}) as response:
        assert response.status == 400


async def test_auth_any_configured_token_else_401(district) -> None:
    url = f"{district.base_url}/v1/boxes/{BOX}/changes"
    async with aiohttp.ClientSession() as session:
        for headers, expected in (({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                                  ({"Authorization": "Bearer other-token"}, 200), (AUTH, 200)):
            async with session.get(url, headers=headers) as response:
                assert response.status == expected
                if expected == 401:
                    assert "token" in (await response.json())["error"]


async def test_fail_next_then_recover(district, http) -> None:
    district.fail_next(2, status=503)
    assert (await post(http, district, [event(1)]))[0] == 503
    assert (await post(http, district, [event(1)]))[0] == 503
    assert (await post(http, district, [event(1)]))[0] == 200
    assert [r.status for r in district.requests] == [503, 503, 200]
    assert district.seqs(BOX) == [1]


async def test_delay_slows_replies(district, http) -> None:
    district.delay_s = 0.2
    started = asyncio.get_running_loop().time()
    assert (await post(http, district, [event(1)]))[0] == 200
    assert asyncio.get_running_loop().time() - started >= 0.2


async def test_cut_mid_batch_stores_but_never_replies_and_a_retry_counts_once(district, http) -> None:
    batch = [event(1), event(2)]
    district.cut_mid_batch = True
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(http, district, batch)
    assert district.seqs(BOX) == [1, 2] and district.requests[-1].status is None
    status, reply = await post(http, district, batch)
    assert status == 200 and reply["accepted"] == [e["event_id"] for e in batch]
    assert district.seqs(BOX) == [1, 2] and district.duplicates == 2


async def test_reject_types(district, http) -> None:
    district.reject_types = {"camera.motion"}
    motion, gate = event(1, type="camera.motion"), event(2)
    status, reply = await post(http, district, [motion, gate])
    assert reply == {
        "accepted": [gate["event_id"]],
        "rejected": [{"event_id": motion["event_id"], "reason": "type camera.motion is not accepted"}],
    }


async def test_down_refuses_connections_then_listens_on_the_same_port(district, http) -> None:
    port = district.port
    assert (await post(http, district, [event(1)]))[0] == 200  # leaves a kept-alive connection
    await district.go_down()
    assert district.down
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(http, district, [event(2)])
    await district.come_up()
    assert district.port == port and not district.down
    assert (await post(http, district, [event(2)]))[0] == 200
    assert district.seqs(BOX) == [1, 2]


async def test_media_put_is_idempotent_and_checked(district, http) -> None:
    data = b"\xff\xd8jpeg bytes"
    sha = hashlib.sha256(data).hexdigest()
    url = f"{district.base_url}/v1/boxes/{BOX}/media/{sha}"
    for new in (True, False):
        async with http.put(url, data=data, headers={"Content-Type": "image/jpeg"}) as response:
            assert response.status == 200 and (await response.json())["new"] is new
    assert district.media[sha].data == data and district.media[sha].content_type == "image/jpeg"
    assert district.media_puts == 2
    async with http.put(url, data=b"other", headers={"Content-Type": "image/jpeg"}) as response:
        assert response.status == 400


async def get_page(http: aiohttp.ClientSession, district: DistrictServer, path: str) -> tuple[int, Any, Any]:
    async with http.get(f"{district.base_url}/v1/boxes/{BOX}/{path}") as response:
        body = await response.read()
        return response.status, body, response.headers.get(SIGNATURE_HEADER)


async def test_changes_are_paged_by_cursor_and_signed(district, http) -> None:
    for i in range(5):
        district.add_change("resident", "upsert", f"r{i}", {"name": f"R{i}"})
    status, body, signature = await get_page(http, district, "changes?limit=2")
    verify(district, body, signature)
    page = json.loads(body)
    assert (status, page["cursor"], page["more"], [c["id"] for c in page["changes"]]) == (200, "2", True, ["r0", "r1"])
    _, body, _ = await get_page(http, district, "changes?since=4&limit=2")
    page = json.loads(body)
    assert page.pop("issued_at").endswith("Z")
    assert page == {"box_id": "box-1", "since": "4", "serial": 5, "cursor": "5", "more": False, "changes": [
        {"kind": "resident", "op": "upsert", "id": "r4", "data": {"name": "R4"}}]}
    assert (await get_page(http, district, "changes?since=9"))[0] == 400


async def test_expired_cursor_is_410_and_the_snapshot_folds_the_log(district, http) -> None:
    district.add_change("resident", "upsert", "r1", {"name": "A"})
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    district.add_change("resident", "upsert", "r1", {"name": "B"})
    cursor = district.add_change("grant", "delete", "g1")
    district.expire_before(cursor)
    status, body, signature = await get_page(http, district, "changes?since=1")
    verify(district, body, signature)  # the 410 is signed, and bound like a page
    expired = json.loads(body)
    assert status == 410 and expired.pop("issued_at").endswith("Z")
    assert expired == {"box_id": "box-1", "since": "1", "serial": 4, "expired": True,
                       "error": "cursor expired: fetch the snapshot"}
    assert (await get_page(http, district, f"changes?since={cursor}"))[0] == 200
    status, body, signature = await get_page(http, district, "snapshot")
    verify(district, body, signature)
    snapshot = json.loads(body)
    assert snapshot.pop("issued_at").endswith("Z")
    assert snapshot == {"box_id": "box-1", "since": None, "serial": 4, "cursor": "4", "more": False, "changes": [
        {"kind": "resident", "op": "upsert", "id": "r1", "data": {"name": "B"}}]}


@pytest.mark.parametrize("mode", [Signing.UNSIGNED, Signing.BAD, Signing.TAMPERED])
async def test_signing_faults(district, http, mode: Signing) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    district.signing = mode
    status, body, signature = await get_page(http, district, "changes")
    assert status == 200
    if mode is Signing.UNSIGNED:
        assert signature is None
        return
    with pytest.raises(InvalidSignature):
        verify(district, body, signature)
    if mode is Signing.TAMPERED:
        assert [c["id"] for c in json.loads(body)["changes"]] == ["g1", "tampered"]
