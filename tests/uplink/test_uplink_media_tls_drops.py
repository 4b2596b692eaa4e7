"""Media after metadata, mTLS with a custom CA, and drops announced as events.dropped."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from drivers.base import MediaBlob
from drivers.events import DoorForcedOpen
from edge.bench.district import DistrictServer
from edge.config.model import EdgeConfig
from edge.daemon.app import Daemon
from edge.events.model import EventDraft
from tests.downlink.tls import make_tls_files
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.uplink.conftest import uplink_site


def site(tmp_path: Path, url: str, *, tls: str = "", uplink: str = "") -> EdgeConfig:
    """Box box-t uploading to ``url``; ``tls`` keys go in [uplink.https], ``uplink`` keys in [uplink]."""
    return uplink_site("box-t", tmp_path / "var", f'{uplink}\n[uplink.https]\nbase_url = "{url}"\n{tls}')


async def test_media_follow_their_event_over_mutual_tls(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    server_tls = tls.server_context(require_client_cert=True)
    async with DistrictServer(tokens=["box-token"], ssl_context=server_tls) as district:
        tls_keys = f'ca_file = "{tls.ca}"\nclient_cert = "{tls.client_cert}"\nclient_key = "{tls.client_key}"'
        jpeg = b"\xff\xd8" + bytes(range(256)) * 40 + b"\xff\xd9"
        async with running_daemon(site(tmp_path, district.base_url, tls=tls_keys)) as running:
            blob = MediaBlob("snapshot", "image/jpeg", data=jpeg)
            await running.daemon.recorder.record(DoorForcedOpen(media=(blob,)), device_id="gate-1")
            await wait_until(lambda: hashlib.sha256(jpeg).hexdigest() in district.media, 10)
    assert district.base_url.startswith("https://")
    stored = district.media[hashlib.sha256(jpeg).hexdigest()]
    assert stored.data == jpeg and stored.content_type == "image/jpeg"
    event = next(e for e in district.arrived("box-t") if e["type"] == "door.forced_open")
    assert event["media"][0]["sha256"] == hashlib.sha256(jpeg).hexdigest()


async def test_a_box_without_the_client_certificate_is_refused(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    async with DistrictServer(tokens=["box-token"], ssl_context=tls.server_context(require_client_cert=True)) as district:
        async with running_daemon(site(tmp_path, district.base_url, tls=f'ca_file = "{tls.ca}"')) as running:
            await wait_until(lambda: running.daemon.uplink.sender.stats["failures"] >= 2, 5)
        assert district.seqs("box-t") == []


async def test_events_dropped_over_the_cap_are_announced_to_the_district(tmp_path: Path) -> None:
    async with DistrictServer(tokens=["box-token"]) as district:
        config = site(tmp_path, district.base_url, uplink="outbox_max_mb = 0.02")

        def faster_limits(daemon: Daemon) -> None:
            daemon.uplink.sender._limits_every_s = 0.05  # noqa: SLF001 - faster than the daemon's 10 s

        async with running_daemon(config, prepare=faster_limits) as running:
            daemon = running.daemon
            await wait_until(lambda: district.seqs("box-t") == [1], 10)  # daemon.started, before the outage
            await district.go_down()
            await asyncio.gather(*(
                daemon.writer.append(EventDraft("door.opened", 3, datetime.now(UTC), True, "g", {"pad": "x" * 900}))
                for _ in range(60)
            ))
            await wait_until(lambda: daemon.uplink.sender.stats["dropped"] > 0, 10)
            await district.come_up()
            await wait_until(lambda: any(e["type"] == "events.dropped" for e in district.arrived("box-t")), 10)
            async with asyncio.timeout(10):  # and everything that was kept
                while sum((await daemon.uplink.outbox.pending())["pending"].values()) > 0:
                    await asyncio.sleep(0.05)

    announced = [e["data"] for e in district.arrived("box-t") if e["type"] == "events.dropped"]
    assert all(d["types"] == ["door.opened"] and d["reason"] == "cap" and d["from_seq"] <= d["to_seq"]
               for d in announced)
    received = set(district.seqs("box-t"))
    missing = set(range(1, max(received) + 1)) - received
    assert len(missing) == sum(d["count"] for d in announced) > 0, "every gap is announced, and only gaps"
    assert all(any(d["from_seq"] <= seq <= d["to_seq"] for d in announced) for seq in missing)
