"""Media after metadata, mTLS with a custom CA, and drops announced as events.dropped."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

from drivers.base import MediaBlob
from drivers.events import DoorForcedOpen
from edge.bench.district import DistrictServer
from edge.config.loader import parse_config
from edge.daemon.app import Daemon
from edge.events.model import EventDraft
from edge.timesync import ClockSync
from tests.downlink.tls import make_tls_files
from tests.fakes import wait_until
from tests.uplink.conftest import UPLINK_SITE, run_daemon

SITE = UPLINK_SITE.replace("{box}", "box-t") + """{extra}
[uplink.https]
base_url = "{url}"
{tls}
"""


async def test_media_follow_their_event_over_mutual_tls(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    server_tls = tls.server_context(require_client_cert=True)
    async with DistrictServer(tokens=["box-token"], ssl_context=server_tls) as district:
        tls_keys = f'ca_file = "{tls.ca}"\nclient_cert = "{tls.client_cert}"\nclient_key = "{tls.client_key}"'
        text = SITE.format(data=tmp_path / "var", url=district.base_url, tls=tls_keys, extra="")
        daemon = Daemon(parse_config(text), clock_sync=ClockSync(fixed=True), out=io.StringIO())
        jpeg = b"\xff\xd8" + bytes(range(256)) * 40 + b"\xff\xd9"

        async def body() -> None:
            blob = MediaBlob("snapshot", "image/jpeg", data=jpeg)
            await daemon.recorder.record(DoorForcedOpen(media=(blob,)), device_id="gate-1")
            await wait_until(lambda: hashlib.sha256(jpeg).hexdigest() in district.media, 10)

        await run_daemon(daemon, body)
    assert district.base_url.startswith("https://")
    stored = district.media[hashlib.sha256(jpeg).hexdigest()]
    assert stored.data == jpeg and stored.content_type == "image/jpeg"
    event = next(e for e in district.arrived("box-t") if e["type"] == "door.forced_open")
    assert event["media"][0]["sha256"] == hashlib.sha256(jpeg).hexdigest()


async def test_a_box_without_the_client_certificate_is_refused(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    async with DistrictServer(tokens=["box-token"], ssl_context=tls.server_context(require_client_cert=True)) as district:
        text = SITE.format(data=tmp_path / "var", url=district.base_url, tls=f'ca_file = "{tls.ca}"', extra="")
        daemon = Daemon(parse_config(text), clock_sync=ClockSync(fixed=True), out=io.StringIO())

        async def body() -> None:
            await wait_until(lambda: daemon.uplink.sender.stats["failures"] >= 2, 5)

        await run_daemon(daemon, body)
        assert district.seqs("box-t") == []


async def test_events_dropped_over_the_cap_are_announced_to_the_district(tmp_path: Path) -> None:
    async with DistrictServer(tokens=["box-token"]) as district:
        text = SITE.format(data=tmp_path / "var", url=district.base_url, tls="", extra="outbox_max_mb = 0.02")
        daemon = Daemon(parse_config(text), clock_sync=ClockSync(fixed=True), out=io.StringIO())
        daemon.uplink.sender._limits_every_s = 0.05  # noqa: SLF001 - faster than the daemon's 10 s

        async def body() -> None:
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

        await run_daemon(daemon, body)
    announced = [e["data"] for e in district.arrived("box-t") if e["type"] == "events.dropped"]
    assert all(d["types"] == ["door.opened"] and d["reason"] == "cap" and d["from_seq"] <= d["to_seq"]
               for d in announced)
    received = set(district.seqs("box-t"))
    missing = set(range(1, max(received) + 1)) - received
    assert len(missing) == sum(d["count"] for d in announced) > 0, "every gap is announced, and only gaps"
    assert all(any(d["from_seq"] <= seq <= d["to_seq"] for d in announced) for seq in missing)
