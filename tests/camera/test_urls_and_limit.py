"""Camera URLs (kinds, password merging, masking) and the fps limit's schedule: pure functions."""

from __future__ import annotations

import pytest

from drivers.camera.capture import FrameRateLimit
from drivers.camera.urls import has_password, is_network, masked, scrub, usb_device, user_of, with_password


@pytest.mark.parametrize(
    ("url", "network", "device"),
    [
        ("rtsp://cam.local:554/Streaming/Channels/101", True, None),
        ("RTSPS://cam.local/s", True, None),
        ("http://10.0.0.5/video.mjpg", True, None),
        ("https://10.0.0.5/video.mjpg", True, None),
        ("usb:0", False, 0),
        ("/dev/v4l/by-id/usb-Cam-video-index0", False, "/dev/v4l/by-id/usb-Cam-video-index0"),
        ("var/demo/gate.avi", False, None),
        ("usb:x", False, None),
    ],
)
def test_what_a_url_names(url: str, network: bool, device: int | str | None) -> None:
    assert (is_network(url), usb_device(url)) == (network, device)


def test_the_password_is_merged_percent_encoded_and_masked_everywhere() -> None:
    url = "rtsp://admin@10.0.0.5:554/Streaming/101?channel=1@x"
    secret = with_password(url, "p@ss/w:rd&1")
    assert secret == "rtsp://admin:p%40ss%2Fw%3Ard&1@10.0.0.5:554/Streaming/101?channel=1@x"
    assert (user_of(secret), has_password(secret), has_password(url)) == ("admin", True, False)
    assert masked(secret) == masked(url) == "rtsp://***@10.0.0.5:554/Streaming/101?channel=1@x"
    assert with_password(url, None) == url and with_password("rtsp://10.0.0.5/s", "pw") == "rtsp://10.0.0.5/s"
    message = f"ffmpeg said: {secret} failed; auth admin:p%40ss%2Fw%3Ard&1@10.0.0.5 refused"
    assert scrub(message, secret) == (
        "ffmpeg said: rtsp://***@10.0.0.5:554/Streaming/101?channel=1@x failed; auth ***@10.0.0.5 refused"
    )
    assert masked("rtsp://u:p@ss@host/s") == "rtsp://***@host/s"  # an unencoded @ in a password
    assert masked("usb:0") == "usb:0" and scrub("usb:0 is gone", "usb:0") == "usb:0 is gone"


def admitted(limit: FrameRateLimit, times: list[float]) -> list[float]:
    return [t for t in times if limit.admit(t)]


def test_fps_limit_keeps_the_rate_without_drifting() -> None:
    camera_25fps = [i * 0.04 for i in range(250)]  # ten seconds
    kept = admitted(FrameRateLimit(10), camera_25fps)
    assert len(kept) == 100  # not the 84 of "at least 0.1 s since the last one"
    assert all(0.08 - 1e-9 <= b - a <= 0.12 + 1e-9 for a, b in zip(kept, kept[1:], strict=False))


def test_fps_limit_starts_afresh_after_a_gap_and_none_keeps_all() -> None:
    limit = FrameRateLimit(5)
    assert admitted(limit, [0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.4]) == [0.0, 0.2, 5.0, 5.2, 5.4]
    assert admitted(FrameRateLimit(None), [0.0, 0.0, 0.001]) == [0.0, 0.0, 0.001]
