"""A broadcast through a real MQTT cloud speaker: the speaker is sent the text and speaks it itself."""

from __future__ import annotations

from pathlib import Path

from drivers.peers.cloud_speaker import FakeCloudSpeaker
from edge.commands import Caller, CommandRequest
from tests.fakes import wait_until
from tests.harness import running_daemon
from tests.mqtt.broker import MosquittoBroker
from tests.sites import load_site


async def test_a_live_announcement_reaches_a_cloud_speaker_as_text(tmp_path: Path) -> None:
    async with MosquittoBroker(tmp_path / "broker") as broker:
        speaker = FakeCloudSpeaker("127.0.0.1", broker.port, "speakers", "SN-1", tmp_path / "played")
        await speaker.start()
        try:
            config = load_site("cloud-speaker", data=tmp_path / "var", port=broker.port)
            async with running_daemon(config, online=1) as running:
                args = {"text": "今晚八点消防演练", "targets": ["building-3"]}
                request = CommandRequest("broadcast", None, args, caller=Caller.district())
                answer = await running.daemon.commands.dispatch(request)
                assert answer.ok and answer.data["speakers"] == ["spk-cloud"]
                await wait_until(lambda: running.of_type("broadcast.played"), 10)
                played = running.of_type("broadcast.played")
        finally:
            await speaker.stop()
    (command,) = [c for c in speaker.commands if c["op"] == "play_tts"]
    assert command["text"] == "今晚八点消防演练"
    assert played[0].data["result"] == "ok" and played[0].device_id == "spk-cloud"
