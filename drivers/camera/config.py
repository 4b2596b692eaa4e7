"""Config of the real cameras (kinds ``camera.face`` and ``camera.facade``).

Passwords are never written in the config: a URL may name the user
(``rtsp://admin@192.168.1.64/...``), and ``password_env`` names the
environment variable holding the password, read at each connect (a rotated
password takes effect at the next reconnect), as the speaker drivers do.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drivers.base import DriverConfig
from drivers.camera.urls import has_password, user_of
from drivers.capabilities.facade_camera import FacadeCameraSettings
from drivers.capabilities.face_camera import FaceCameraSettings
from drivers.speaker.credentials import ENV_NAME

_URL_HELP = (
    "rtsp:// or http(s):// (MJPEG) for a network camera, usb:N or a /dev/v4l/by-id/... path for a USB "
    "camera, or a video file (played in a loop, for trials). A network URL may name the user "
    "(rtsp://admin@192.168.1.64/...), never the password: see password_env."
)


class CameraConfig(DriverConfig):
    """Settings every real camera has."""

    url: str = Field(
        min_length=1, title="Stream URL",
        description="The camera's main, full-resolution stream. " + _URL_HELP,
    )
    sub_url: str | None = Field(
        None, min_length=1, title="Sub-stream URL",
        description="A smaller stream of the same camera: detection runs on it, face crops come from the "
        "main stream. Empty: everything uses the main stream.",
    )
    password_env: str | None = Field(
        None, pattern=ENV_NAME, title="Password variable",
        description="Name of the environment variable that holds the camera's password, read at each "
        "connect and put after the user named in the URL(s).",
    )
    fps: float | None = Field(
        None, gt=0, le=120, title="Frame rate limit",
        description="At most this many frames a second are kept; the others are skipped, not buffered. "
        "Empty: every frame the camera sends.",
    )
    buffer_frames: int = Field(
        4, ge=1, le=256, title="Frame buffer",
        description="Frames kept for the consumer; when it is full the oldest is dropped.",
    )
    watchdog_s: float = Field(
        10.0, ge=0.5, le=600, title="Watchdog (s)",
        description="Without a frame this long the camera is offline; it is reopened with back-off.",
    )
    open_timeout_s: float = Field(
        10.0, ge=0.5, le=120, title="Open timeout (s)",
        description="How long opening the stream and its first frame may take. "
        "Keep it below the supervisor's connect timeout.",
    )
    stats_interval_s: float = Field(60.0, ge=1, le=3600, title="Stream report every (s)")

    @model_validator(mode="after")
    def _no_password_in_urls(self) -> CameraConfig:
        urls = [self.url] + ([self.sub_url] if self.sub_url else [])
        if any(has_password(url) for url in urls):
            raise ValueError("a password is never written in a URL: name its environment variable in password_env")
        if self.password_env is not None and not any(user_of(url) for url in urls):
            raise ValueError("password_env needs a user named in the URL, e.g. rtsp://admin@192.168.1.64/...")
        return self


class FaceCameraConfig(FaceCameraSettings, CameraConfig):
    kind: Literal["camera.face"] = "camera.face"


class FacadeCameraConfig(FacadeCameraSettings, CameraConfig):
    kind: Literal["camera.facade"] = "camera.facade"
