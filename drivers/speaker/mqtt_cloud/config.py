"""Config of a cloud speaker reached through an MQTT broker (kind ``speaker.mqtt_cloud``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from drivers.base import DriverConfig
from drivers.speaker.credentials import ENV_NAME


class CloudSpeakerConfig(DriverConfig):
    kind: Literal["speaker.mqtt_cloud"] = "speaker.mqtt_cloud"
    host: str = Field(min_length=1, title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port")
    username: str | None = Field(None, min_length=1, title="User name")
    password_env: str | None = Field(
        None, pattern=ENV_NAME, title="Password variable",
        description="Name of the environment variable that holds the broker password, read at each connect "
        "(passwords are not written in the config).",
    )
    tls: bool = Field(False, title="Use TLS")
    ca_file: Path | None = Field(None, title="CA bundle", description="With TLS; default: the system's CAs.")
    client_id: str | None = Field(
        None, min_length=1, max_length=64, title="Client id",
        description="Default: 'edge-<device id>-<random>', new at each connect.",
    )
    prefix: str = Field(
        "speakers", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", title="Topic prefix",
        description="Topics are <prefix>/<serial>/cmd, /ack and /status.",
    )
    serial: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", title="Speaker serial number")
    voice: str = Field("", max_length=100, title="Default voice", description="For text without a voice; '': the speaker's.")
    ack_timeout_s: float = Field(
        5.0, gt=0, le=120, title="Ack timeout (s)", description="How long to wait for the speaker to answer a command.",
    )
    status_grace_s: float = Field(
        30.0, ge=0, le=3600, title="Offline grace (s)",
        description="How long the speaker may report 'offline' (or nothing) before the device counts as offline.",
    )
    keepalive_s: int = Field(30, ge=5, le=3600, title="Keep-alive (s)")
    connect_timeout_s: float = Field(10.0, gt=0, le=120, title="Broker timeout (s)")

    @model_validator(mode="after")
    def _consistent(self) -> CloudSpeakerConfig:
        if self.password_env is not None and self.username is None:
            raise ValueError("password_env needs a username (MQTT sends no password without one)")
        if self.ca_file is not None and not self.tls:
            raise ValueError("ca_file is for TLS: set tls = true")
        return self
