"""The cloud speaker's messages, with bytes alone: commands out, acks and status in."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.speaker.mqtt_cloud.protocol import (
    Ack,
    BadMessage,
    CloudCommand,
    CloudTopics,
    decode_ack,
    decode_status,
)


def test_topics() -> None:
    topics = CloudTopics("vendor/eu", "SN1")
    assert (topics.cmd, topics.ack, topics.status) == ("vendor/eu/SN1/cmd", "vendor/eu/SN1/ack", "vendor/eu/SN1/status")


def test_commands_are_json_with_a_fresh_uuid() -> None:
    first = CloudCommand("play_tts", {"text": "Zoë, 张伟: the lift is fixed", "voice": "f1"})
    body = json.loads(first.encode())
    assert body == {"id": first.id, "op": "play_tts", "text": "Zoë, 张伟: the lift is fixed", "voice": "f1"}
    assert uuid.UUID(first.id) and CloudCommand("stop").id != first.id
    assert "张伟".encode() in first.encode()
    with pytest.raises(ValueError, match="unknown op"):
        CloudCommand("reboot")


@pytest.mark.parametrize(
    ("payload", "ack"),
    [
        (b'{"id": "a", "ok": true}', Ack("a", True)),
        (b'{"id": "a", "ok": true, "duration_s": 3}', Ack("a", True, "", 3.0)),
        (b'{"id": "a", "ok": false, "error": "busy", "duration_s": null}', Ack("a", False, "busy")),
        (b'{"id": "a", "ok": false, "error": null, "extra": [1]}', Ack("a", False)),
    ],
)
def test_acks(payload: bytes, ack: Ack) -> None:
    assert decode_ack(payload) == ack


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "not JSON"),
        (b"\xff", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"ok": true}', "no id"),
        (b'{"id": "a", "ok": "yes"}', "boolean"),
        (b'{"id": "a", "ok": true, "error": 5}', "error"),
        (b'{"id": "a", "ok": true, "duration_s": -1}', "duration_s"),
        (b'{"id": "a", "ok": true, "duration_s": true}', "duration_s"),
        (b'{"id": "a", "ok": true, "duration_s": Infinity}', "duration_s"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_bad_acks(payload: bytes, message: str) -> None:
    with pytest.raises(BadMessage, match=message):
        decode_ack(payload)


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_bad_message(payload: bytes) -> None:
    for decode in (decode_ack, decode_status):
        try:
            decoded = decode(payload)
        except BadMessage:
            continue
        # anything else that comes back is a decoded message (None: a cleared status)
        assert decoded is not None or (decode is decode_status and payload.decode("ascii").strip() == "")


@given(st.text(min_size=1), st.booleans(), st.text(), st.none() | st.floats(0, 1e6))
def test_ack_json_round_trip(ack_id: str, ok: bool, error: str, duration_s: float | None) -> None:
    payload = json.dumps({"id": ack_id, "ok": ok, "error": error, "duration_s": duration_s}).encode()
    assert decode_ack(payload) == Ack(ack_id, ok, error, duration_s)


def test_status() -> None:
    assert decode_status(b"online") == "online" and decode_status(b" OFFLINE\n") == "offline"
    assert decode_status(b"") is None  # the retained status was cleared
    with pytest.raises(BadMessage, match="unknown status"):
        decode_status(b'{"state": "online"}')
