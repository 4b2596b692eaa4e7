"""A snapshot of many megabytes (face photos) arrives whole and verified; one past the cap is refused."""

from __future__ import annotations

import pytest

from edge.bench.district import DistrictServer
from edge.downlink import client as client_module
from edge.downlink.client import ChangesClient, DownlinkError
from edge.uplink.config import HttpsUplinkConfig


async def test_a_large_snapshot_is_read_whole_and_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    async with DistrictServer(tokens=["t"]) as district:
        for i in range(300):  # ~6 MB: many network chunks
            district.add_change("face", "upsert", f"f{i}", {"person_id": f"p{i}", "photo": "QUJD" * 5000})
        changes = ChangesClient(HttpsUplinkConfig(base_url=district.base_url), "t", "b", district.public_key_b64)
        try:
            page = await changes.snapshot()
            assert len(page.changes) == 300
            monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1_000_000)
            with pytest.raises(DownlinkError, match="more than"):
                await changes.snapshot()
        finally:
            await changes.close()
