"""What every speaker driver shares: command arguments, WAV helpers, configs, the registry."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from drivers import registry
from drivers.capabilities import SPEAKER_COMMANDS
from drivers.sim.speaker import SimSpeaker
from drivers.speaker.commands import (
    PlayText,
    PlayTone,
    PlayUrl,
    PlayWav,
    check_stop,
    parse_play,
    parse_volume,
)
from drivers.speaker.http_ip.config import HttpSpeakerConfig
from drivers.speaker.http_ip.driver import HttpSpeaker
from drivers.speaker.mqtt_cloud.config import CloudSpeakerConfig
from drivers.speaker.mqtt_cloud.driver import CloudSpeaker
from drivers.speaker.wav import load_wav, silence_wav, tone_wav, wav_duration
from tests.speaker.conftest import write_wav

ALL = frozenset({"wav", "tone", "url", "text"})


def test_play_forms() -> None:
    assert parse_play({"wav_path": "/srv/a.wav"}, ALL, "k") == PlayWav(Path("/srv/a.wav"))
    assert parse_play({"tone_hz": 440, "duration_s": 1.5}, ALL, "k") == PlayTone(440.0, 1.5)
    assert parse_play({"url": "https://cdn.example/a.mp3?x=1"}, ALL, "k") == PlayUrl("https://cdn.example/a.mp3?x=1")
    assert parse_play({"text": "Hi"}, ALL, "k", default_voice="f1") == PlayText("Hi", "f1")
    assert parse_play({"text": "Hi", "voice": "m2"}, ALL, "k") == PlayText("Hi", "m2")
    assert [r.what for r in (PlayWav(Path("/a/b.wav")), PlayTone(440, 1), PlayText("Hi", ""))] == [
        "b.wav", "tone 440 Hz", "Hi"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "speaker.play takes"),
        ({"url": "http://a/b", "text": "x"}, "speaker.play takes"),
        ({"voice": "f1"}, "speaker.play takes"),
        ({"text": "  "}, "text must be a non-empty string"),
        ({"text": "x" * 1001}, "longer than 1000"),
        ({"text": "Hi", "voice": 3}, "voice must be"),
        ({"url": "file:///etc/passwd"}, "http:// or https://"),
        ({"url": "http:///nohost"}, "http:// or https://"),
        ({"url": "http://a/b c"}, "http:// or https://"),
        ({"url": 5}, "url must be"),
        ({"tone_hz": 5, "duration_s": 1}, "tone_hz must be a number from 20 to 20000"),
        ({"tone_hz": 440, "duration_s": 61}, "duration_s must be"),
        ({"wav_path": ""}, "wav_path must be"),
    ],
)
def test_bad_play_arguments(args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_play(args, ALL, "k")


def test_volume_and_stop_arguments() -> None:
    assert [parse_volume({"level": v}) for v in (0, 100, 49.5, 50.5, 12.4)] == [0, 100, 50, 50, 12]
    for bad in ({"level": 100.01}, {"level": -0.5}, {"level": None}, {"level": False}, {"volume": 3}):
        with pytest.raises(ValueError, match="level|speaker.volume takes"):
            parse_volume(bad)
    check_stop({})
    with pytest.raises(ValueError, match="no arguments"):
        check_stop({"x": 1})


def test_the_same_commands_as_the_simulated_speaker() -> None:
    sim_commands = SimSpeaker.commands - {"sim.unplug", "sim.replug"}
    assert CloudSpeaker.commands == HttpSpeaker.commands == SPEAKER_COMMANDS == sim_commands
    assert {"speaker.play", "speaker.stop", "speaker.volume"} == SPEAKER_COMMANDS  # the names the district sends
    assert CloudSpeaker.plays == {"text", "url"} and HttpSpeaker.plays == {"url", "wav", "tone"}


def test_wav_helpers(tmp_path: Path) -> None:
    assert wav_duration(tone_wav(440, 0.25)) == 0.25 and wav_duration(silence_wav(1.5)) == 1.5
    data, duration_s = load_wav(write_wav(tmp_path / "a.wav", 0.5), 1.0)
    assert duration_s == 0.5 and data[:4] == b"RIFF"
    with pytest.raises(ValueError, match="longer than 0.4 s"):
        load_wav(tmp_path / "a.wav", 0.4)
    with pytest.raises(ValueError, match="not a PCM WAV"):
        wav_duration(b"RIFF....nope")


def test_configs_take_no_passwords_only_the_names_of_variables() -> None:
    base = {"id": "s1", "host": "broker.example", "serial": "SN1"}
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CloudSpeakerConfig.model_validate(base | {"username": "u", "password": "hunter2"})
    with pytest.raises(ValidationError, match="password_env needs a username"):
        CloudSpeakerConfig.model_validate(base | {"password_env": "PW"})
    with pytest.raises(ValidationError, match="password_env"):
        CloudSpeakerConfig.model_validate(base | {"username": "u", "password_env": "not a name"})
    with pytest.raises(ValidationError, match="serial"):
        CloudSpeakerConfig.model_validate(base | {"serial": "SN/+"})
    with pytest.raises(ValidationError, match="ca_file is for TLS"):
        CloudSpeakerConfig.model_validate(base | {"ca_file": "/etc/ca.pem"})
    http = {"id": "s2", "base_url": "http://192.168.1.40:8080"}
    assert HttpSpeakerConfig.model_validate(http).url("/api/play") == "http://192.168.1.40:8080/api/play"
    with pytest.raises(ValidationError, match="both username and password_env"):
        HttpSpeakerConfig.model_validate(http | {"username": "admin"})
    with pytest.raises(ValidationError, match="not both"):
        HttpSpeakerConfig.model_validate(http | {"username": "a", "password_env": "PW", "token_env": "TOKEN"})
    for bad in ({"base_url": "ftp://x"}, {"play_path": "api/play"}, {"token": "abc"}):
        with pytest.raises(ValidationError):
            HttpSpeakerConfig.model_validate(http | bad)


def test_registered() -> None:
    for kind, driver in (("speaker.mqtt_cloud", CloudSpeaker), ("speaker.http_ip", HttpSpeaker)):
        assert registry.driver_class(kind) is driver
        assert typing.get_args(driver.config_model.model_fields["kind"].annotation) == (kind,)
