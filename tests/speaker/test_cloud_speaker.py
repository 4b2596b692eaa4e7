"""CloudSpeaker against a real mosquitto and the fake cloud speaker: commands, acks, health, outages."""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
import wave
from pathlib import Path

import aiomqtt
import pytest

from drivers.base import Command, DriverError, HealthState, Probe
from drivers.events import SpeakerPlayed
from drivers.peers.cloud_speaker import SECONDS_PER_CHARACTER, FakeCloudSpeaker
from drivers.speaker.mqtt_cloud.driver import CloudSpeaker
from tests.downlink.tls import make_tls_files
from tests.drivers.fakes import EventSink, eventually, running
from tests.fakes import FakeClock
from tests.mqtt.broker import MosquittoBroker
from tests.speaker.conftest import PREFIX, SERIAL, cloud_config

TEXT = "Water is off in building 3 from 10:00"


def speaker_driver(port: int, **overrides: object) -> tuple[CloudSpeaker, EventSink]:
    sink = EventSink()
    return CloudSpeaker(cloud_config(port, **overrides), sink), sink


# --- playing ----------------------------------------------------------------------


async def test_text_is_spoken_acked_and_reported(broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker) -> None:
    driver, sink = speaker_driver(broker.port)
    async with running(driver):
        result = await driver.execute(Command("speaker.play", {"text": TEXT, "voice": "female-2"}))
        assert (await driver.probe()).state is HealthState.ONLINE
    duration_s = round(SECONDS_PER_CHARACTER * len(TEXT), 3)
    assert result.ok, result.detail
    assert result.data["duration_s"] == duration_s
    [sent] = cloud_speaker.commands
    assert sent == {"id": result.data["id"], "op": "play_tts", "text": TEXT, "voice": "female-2"}
    uuid.UUID(sent["id"])
    [played] = sink.of(SpeakerPlayed)
    assert (played.what, played.duration_s, played.result) == (TEXT, duration_s, "ok")
    [wav_path] = cloud_speaker.played
    with wave.open(str(wav_path)) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(duration_s, abs=0.001)


async def test_text_without_a_voice_takes_the_configured_default(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    for voice, expected in (("male-1", {"voice": "male-1"}), ("", {})):
        driver, _ = speaker_driver(broker.port, voice=voice)
        async with running(driver):
            assert (await driver.execute(Command("speaker.play", {"text": "Hello"}))).ok
        assert {k: v for k, v in cloud_speaker.commands[-1].items() if k == "voice"} == expected


async def test_url_is_fetched_by_the_speaker(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker, wav_site: str, tmp_path: Path
) -> None:
    driver, sink = speaker_driver(broker.port)
    url = f"{wav_site}/chime.wav"
    async with running(driver):
        result = await driver.execute(Command("speaker.play", {"url": url}))
    assert result.ok and result.data["duration_s"] == 0.5
    assert cloud_speaker.commands[0]["op"] == "play_url" and cloud_speaker.commands[0]["url"] == url
    assert cloud_speaker.played[0].read_bytes() == (tmp_path / "chime.wav").read_bytes()
    assert [(e.what, e.duration_s, e.result) for e in sink.of(SpeakerPlayed)] == [(url, 0.5, "ok")]


async def test_a_refused_play_fails_and_is_reported_failed(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    cloud_speaker.fail_with = "SD card full"
    driver, sink = speaker_driver(broker.port)
    async with running(driver):
        result = await driver.execute(Command("speaker.play", {"url": "http://example.org/a.mp3"}))
    assert not result.ok and "SD card full" in result.detail
    assert [(e.what, e.duration_s, e.result) for e in sink.of(SpeakerPlayed)] == [("http://example.org/a.mp3", 0.0, "failed")]


async def test_what_it_cannot_play_is_refused_before_sending(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    driver, _ = speaker_driver(broker.port)
    async with running(driver):
        wav = await driver.execute(Command("speaker.play", {"wav_path": "/tmp/a.wav"}))
        tone = await driver.execute(Command("speaker.play", {"tone_hz": 440, "duration_s": 1}))
        junk = await driver.execute(Command("speaker.play", {"url": "ftp://x/a.wav"}))
    assert "cannot play WAV files: it plays text (speech), URLs" in wav.detail
    assert "cannot play tones" in tone.detail and "http://" in junk.detail
    assert not (wav.ok or tone.ok or junk.ok) and cloud_speaker.commands == []


# --- stop and volume ----------------------------------------------------------------


async def test_stop_and_volume_within_bounds(broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker) -> None:
    driver, sink = speaker_driver(broker.port)
    async with running(driver):
        assert (await driver.execute(Command("speaker.stop"))).ok
        assert (await driver.execute(Command("speaker.volume", {"level": 35.4}))).ok
        assert (await driver.execute(Command("speaker.volume", {"level": 100}))).ok
        refused = [await driver.execute(Command("speaker.volume", args))
                   for args in ({"level": 101}, {"level": -1}, {"level": "50"}, {"level": True}, {}, {"level": 5, "x": 1})]
        bad_stop = await driver.execute(Command("speaker.stop", {"now": True}))
    assert [c["op"] for c in cloud_speaker.commands] == ["stop", "volume", "volume"]
    assert [c.get("level") for c in cloud_speaker.commands] == [None, 35, 100]
    assert cloud_speaker.volume == 100
    assert not any(r.ok for r in refused) and "0 to 100" in refused[0].detail and not bad_stop.ok
    assert sink.events == []


# --- acks ---------------------------------------------------------------------------


async def test_no_ack_fails_the_command_and_degrades_until_acks_come_in_time(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    driver, sink = speaker_driver(broker.port)
    async with running(driver):
        cloud_speaker.acks = False
        result = await driver.execute(Command("speaker.play", {"text": "Hello"}))
        assert not result.ok and "no ack from the speaker within 0.5 s" in result.detail
        assert await driver.probe() == Probe(HealthState.DEGRADED, result.detail)
        cloud_speaker.acks, cloud_speaker.ack_delay_s = True, 0.8  # late: too late
        assert not (await driver.execute(Command("speaker.stop"))).ok
        await eventually(lambda: driver.counters["unknown_acks"] == 1)
        assert (await driver.probe()).state is HealthState.DEGRADED
        cloud_speaker.ack_delay_s = 0.0
        assert (await driver.execute(Command("speaker.stop"))).ok
        assert (await driver.probe()).state is HealthState.ONLINE
    assert driver.counters["ack_timeouts"] == 2 and sink.events == []


async def test_garbage_on_the_ack_topic_is_counted_and_ignored(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    driver, _ = speaker_driver(broker.port)
    async with running(driver) as run, aiomqtt.Client("127.0.0.1", broker.port) as other:
        for payload in (b"\xff\x00", b"[]", b'{"id": "x"}', json.dumps({"id": "nobody", "ok": True}).encode()):
            await other.publish(f"{PREFIX}/{SERIAL}/ack", payload, qos=1)
        await eventually(lambda: driver.counters["bad_acks"] == 3 and driver.counters["unknown_acks"] == 1)
        assert not run.done() and (await driver.execute(Command("speaker.stop"))).ok


async def test_close_fails_a_command_waiting_for_its_ack(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    cloud_speaker.acks = False
    driver, _ = speaker_driver(broker.port, ack_timeout_s=5)
    async with running(driver):
        waiting = asyncio.create_task(driver.execute(Command("speaker.stop")))
        await eventually(lambda: len(cloud_speaker.commands) == 1)
        await driver.close()
        result = await waiting
    assert not result.ok and "closed" in result.detail


# --- the speaker's status -------------------------------------------------------------


async def test_speaker_offline_makes_the_device_offline_and_refuses_commands(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    driver, _ = speaker_driver(broker.port)
    async with running(driver):
        await cloud_speaker.stop(graceful=False)  # the broker publishes its will
        await eventually(lambda: driver.speaker_status == "offline")
        probe = await driver.probe()
        assert probe.state is HealthState.OFFLINE and f"speaker {SERIAL} reports offline" in probe.reason
        result = await driver.execute(Command("speaker.play", {"text": "Hello"}))
        assert not result.ok and "is offline" in result.detail
        await cloud_speaker.start()
        await eventually(lambda: driver.speaker_status == "online")
        assert (await driver.probe()).state is HealthState.ONLINE
    await cloud_speaker.stop()
    with pytest.raises(DriverError, match="reports offline"):  # no flapping: connect fails while it is offline
        await driver.connect()
    await driver.close()


async def test_offline_within_the_grace_is_degraded_then_offline(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    clock = FakeClock()
    driver = CloudSpeaker(cloud_config(broker.port, status_grace_s=30), EventSink(), clock)
    async with running(driver):
        await cloud_speaker.publish_status(b"offline")
        await eventually(lambda: driver.speaker_status == "offline")
        await clock.advance(29)
        probe = await driver.probe()
        assert probe.state is HealthState.DEGRADED and "reports offline (for 29 s)" in probe.reason
        await clock.advance(1)
        assert (await driver.probe()).state is HealthState.OFFLINE


async def test_a_speaker_that_never_said_anything_is_offline(broker: MosquittoBroker) -> None:
    driver, _ = speaker_driver(broker.port)
    with pytest.raises(DriverError, match=f"speaker {SERIAL} has not reported its status"):
        await driver.connect()
    await driver.close()


# --- the broker ---------------------------------------------------------------------


async def test_broker_down_ends_run_and_connect_fails_until_it_is_back(
    broker: MosquittoBroker, cloud_speaker: FakeCloudSpeaker
) -> None:
    driver, _ = speaker_driver(broker.port)
    async with running(driver) as run:
        await broker.stop()
        await eventually(run.done)
        assert isinstance(run.exception(), DriverError) and "connection to the broker lost" in str(run.exception())
        assert (await driver.probe()).state is HealthState.OFFLINE
        assert not (await driver.execute(Command("speaker.stop"))).ok
        with pytest.raises(DriverError, match=f"cannot reach the broker 127.0.0.1:{broker.port}"):
            await driver.connect()
        await broker.start()  # same port; mosquitto published the speaker's will as it went down
        with pytest.raises(DriverError, match="reports offline"):
            await driver.connect()
        await cloud_speaker.stop()
        await cloud_speaker.start()  # the speaker reconnects too
    async with running(driver):
        assert (await driver.probe()).state is HealthState.ONLINE


async def test_user_name_and_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users = {"box": "s3cret é", "speaker": "sp"}
    async with MosquittoBroker(tmp_path / "broker", users=users) as broker:
        speaker = FakeCloudSpeaker("127.0.0.1", broker.port, PREFIX, SERIAL, tmp_path, username="speaker", password="sp")
        await speaker.start()
        try:
            driver, _ = speaker_driver(broker.port, username="box", password_env="SPEAKER_TEST_PW")
            with pytest.raises(DriverError, match="environment variable SPEAKER_TEST_PW .*is not set"):
                await driver.connect()
            monkeypatch.setenv("SPEAKER_TEST_PW", "guess")
            with pytest.raises(DriverError, match="(?i)authori"):
                await driver.connect()
            monkeypatch.setenv("SPEAKER_TEST_PW", "s3cret é")
            async with running(driver):
                assert (await driver.execute(Command("speaker.stop"))).ok
        finally:
            await speaker.stop()


async def test_tls_with_the_configured_ca(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    async with MosquittoBroker(tmp_path / "broker", tls=(files.server_cert, files.server_key)) as broker:
        speaker = FakeCloudSpeaker("127.0.0.1", broker.port, PREFIX, SERIAL, tmp_path,
                                   tls_context=ssl.create_default_context(cafile=str(files.ca)))
        await speaker.start()
        try:
            driver, _ = speaker_driver(broker.port, tls=True, ca_file=files.ca)
            async with running(driver):
                assert (await driver.execute(Command("speaker.volume", {"level": 10}))).ok
            untrusted, _ = speaker_driver(broker.port, tls=True)
            with pytest.raises(DriverError, match="certificate"):
                await untrusted.connect()
        finally:
            await speaker.stop()
