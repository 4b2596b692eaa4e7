"""Config of an IP speaker with an HTTP API (kind ``speaker.http_ip``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drivers.base import DriverConfig
from drivers.speaker.credentials import ENV_NAME

_PATH = r"^/[^\s?#]*$"


class HttpSpeakerConfig(DriverConfig):
    kind: Literal["speaker.http_ip"] = "speaker.http_ip"
    base_url: str = Field(
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", title="Base URL",
        description="e.g. http://192.168.1.40 or http://192.168.1.40:8080/vendor; the API paths are appended.",
    )
    username: str | None = Field(None, pattern=r"^[^:]+$", title="User name", description="For HTTP Basic authentication.")
    password_env: str | None = Field(
        None, pattern=ENV_NAME, title="Password variable",
        description="Name of the environment variable that holds the HTTP Basic password, read at each connect.",
    )
    token_env: str | None = Field(
        None, pattern=ENV_NAME, title="Token variable",
        description="Name of the environment variable that holds a bearer token, read at each connect.",
    )
    timeout_s: float = Field(5.0, gt=0, le=60, title="Request timeout (s)")
    upload_timeout_s: float = Field(30.0, gt=0, le=600, title="Upload timeout (s)")
    max_clip_s: float = Field(120.0, gt=0, le=3600, title="Longest clip (s)", description="Longer WAV files or tones are refused.")
    play_path: str = Field("/api/play", pattern=_PATH, title="Play path")
    upload_path: str = Field("/api/upload", pattern=_PATH, title="Upload path")
    stop_path: str = Field("/api/stop", pattern=_PATH, title="Stop path")
    volume_path: str = Field("/api/volume", pattern=_PATH, title="Volume path")
    status_path: str = Field("/api/status", pattern=_PATH, title="Status path")

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> HttpSpeakerConfig:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("HTTP Basic needs both username and password_env")
        if self.token_env is not None and self.username is not None:
            raise ValueError("use either HTTP Basic (username, password_env) or a bearer token (token_env), not both")
        return self

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path
