"""A broadcast through a real MQTT cloud speaker: the speaker is sent the text and speaks it itself."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from drivers.peers.cloud_speaker import FakeCloudSpeaker
from edge.commands import Caller, CommandRequest
from edge.config.loader import parse_config
from edge.daemon.app import Daemon
from edge.timesync import ClockSync
from tests.fakes import wait_until
from tests.mqtt.broker import MosquittoBroker

SITE = """
[site]
box_id = "b"
[store]
data_dir = "{data}"
[console]
enabled = false
[broadcast.groups]
building-3 = ["spk-cloud"]
[[devices]]
kind = "speaker.mqtt_cloud"
id = "spk-cloud"
host = "127.0.0.1"
port = {port}
prefix = "speakers"
serial = "SN-1"
status_grace_s = 5
"""


async def test_a_live_announcement_reaches_a_cloud_speaker_as_text(tmp_path: Path) -> None:
    async with MosquittoBroker(tmp_path / "broker") as broker:
        speaker = FakeCloudSpeaker("127.0.0.1", broker.port, "speakers", "SN-1", tmp_path / "played")
        await speaker.start()
        try:
            config = parse_config(SITE.format(data=tmp_path / "var", port=broker.port))
            daemon = Daemon(config, clock_sync=ClockSync(fixed=True), out=io.StringIO())
            played: list = []
            daemon.bus.subscribe(played.append, types=["broadcast.played"])
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as group:
                group.create_task(daemon.run(stop))
                await wait_until(lambda: daemon.health.counts()["online"] == 1, 10)
                args = {"text": "今晚八点消防演练", "targets": ["building-3"]}
                answer = await daemon.commands.dispatch(CommandRequest("broadcast", None, args, caller=Caller.district()))
                assert answer.ok and answer.data["speakers"] == ["spk-cloud"]
                await wait_until(lambda: len(played) >= 1, 10)
                stop.set()
        finally:
            await speaker.stop()
    (command,) = [c for c in speaker.commands if c["op"] == "play_tts"]
    assert command["text"] == "今晚八点消防演练"
    assert played[0].data["result"] == "ok" and played[0].device_id == "spk-cloud"
