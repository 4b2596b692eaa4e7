"""ChangesClient: bearer token, CA and client certificate, and what each kind of answer becomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.bench.district import DistrictServer
from edge.downlink import ChangesClient, CursorExpired, DownlinkError, PageRefused
from edge.uplink.config import HttpsUplinkConfig
from tests.downlink.helpers import BOX, TOKEN
from tests.downlink.tls import make_tls_files


async def test_pages_and_errors(district: DistrictServer, client: ChangesClient) -> None:
    district.add_change("grant", "upsert", "g1", {"gate": "north"})
    assert (await client.changes("0")).cursor == "1"
    assert [c.id for c in (await client.snapshot()).changes] == ["g1"]
    district.expire_before(1)
    with pytest.raises(CursorExpired):
        await client.changes("0")
    district.fail_next(1, status=502)
    with pytest.raises(DownlinkError, match="HTTP 502"):
        await client.changes("1")
    assert {r.path for r in district.requests} == {f"/v1/boxes/{BOX}/changes", f"/v1/boxes/{BOX}/snapshot"}


async def test_a_signed_but_malformed_page_is_refused(district: DistrictServer, client: ChangesClient) -> None:
    district.changes.append({"kind": "pet", "op": "upsert", "id": "p1", "data": {}})
    with pytest.raises(PageRefused, match="unknown kind") as refused:
        await client.changes("0")
    assert (refused.value.endpoint, refused.value.since) == ("changes", "0")


async def test_unreachable_district_is_a_downlink_error(district: DistrictServer, client: ChangesClient) -> None:
    await district.go_down()
    with pytest.raises(DownlinkError, match="ClientConnectorError"):
        await client.snapshot()


async def test_mutual_tls(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    async with DistrictServer([TOKEN], ssl_context=tls.server_context(require_client_cert=True)) as district:
        assert district.base_url.startswith("https://")
        configs = {
            "ca and client cert": HttpsUplinkConfig(base_url=district.base_url + "/", ca_file=tls.ca,
                                                    client_cert=tls.client_cert, client_key=tls.client_key),
            "no client cert": HttpsUplinkConfig(base_url=district.base_url, ca_file=tls.ca),
            "system CAs only": HttpsUplinkConfig(base_url=district.base_url, client_cert=tls.client_cert,
                                                 client_key=tls.client_key),
        }
        results = {}
        for name, https in configs.items():
            client = ChangesClient(https, TOKEN, BOX, district.public_key_b64)
            try:
                results[name] = (await client.snapshot()).cursor
            except DownlinkError:  # TLS 1.3: a missing client certificate shows as a dropped connection
                results[name] = "refused"
            finally:
                await client.close()
    assert results == {"ca and client cert": "0", "no client cert": "refused", "system CAs only": "refused"}
