"""The ``[uplink]`` section: how the box reaches its district, and how much it keeps meanwhile."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.secret import Secret


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpsUplinkConfig(Section):
    base_url: str = Field(pattern=r"^https?://", title="District base URL", description="e.g. https://district.example/")
    ca_file: Path | None = Field(None, title="CA bundle", description="Trust this CA for the district's certificate.")
    client_cert: Path | None = Field(None, title="Client certificate (mTLS)")
    client_key: Path | None = Field(None, title="Client key (mTLS)")
    timeout_s: float = Field(30.0, gt=0, le=600, title="Request timeout (s)")

    @model_validator(mode="after")
    def _cert_and_key(self) -> HttpsUplinkConfig:
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together")
        return self


class MqttUplinkConfig(Section):
    host: str = Field(title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port")
    prefix: str = Field("community-edge", pattern=r"^[A-Za-z0-9_./-]+$", title="Topic prefix")
    client_id: str | None = Field(None, title="Client id", description="Stable id for the persistent session; default: the box id.")
    username: str | None = Field(None, title="User name")
    password: Secret | None = Field(None, title="Password")
    tls: bool = Field(False, title="Use TLS")
    ca_file: Path | None = Field(None, title="CA bundle")
    keepalive_s: int = Field(30, ge=5, le=3600, title="Keep-alive (s)")


class TtlConfig(Section):
    """How long an event may wait in the outbox, per priority; none: for ever."""

    p0_hours: float | None = Field(None, gt=0, title="Life-safety events")
    p1_hours: float | None = Field(None, gt=0, title="Security and access events")
    p2_hours: float | None = Field(24 * 30, gt=0, title="Device status events")
    p3_hours: float | None = Field(24 * 14, gt=0, title="Routine events")

    def hours(self, priority: int) -> float | None:
        return (self.p0_hours, self.p1_hours, self.p2_hours, self.p3_hours)[priority]


class UplinkConfig(Section):
    token: Secret = Field(title="Box token", description="Sent as Authorization: Bearer to the district.")
    https: HttpsUplinkConfig | None = Field(None, title="HTTPS")
    mqtt: MqttUplinkConfig | None = Field(None, title="MQTT")
    batch_max_events: int = Field(500, ge=1, le=500, title="Most events in a batch")
    batch_max_bytes: int = Field(256 * 1024, ge=1024, le=256 * 1024, title="Largest batch (bytes)")
    backoff_initial_s: float = Field(1.0, gt=0, le=60, title="First retry delay (s)")
    backoff_max_s: float = Field(300.0, gt=0, le=3600, title="Longest retry delay (s)")
    outbox_max_mb: float = Field(512, gt=0, title="Outbox cap (MB)", description="Past it, routine then status events are dropped, oldest first; alarms never.")
    ttl: TtlConfig = TtlConfig()
    district_public_key: str | None = Field(
        None, title="District signing key", description="Ed25519 public key (base64) that signs every downlink page."
    )
    changes_poll_s: float = Field(60.0, gt=0, le=86400, title="Downlink poll interval (s)")

    @model_validator(mode="after")
    def _a_transport(self) -> UplinkConfig:
        if self.https is None and self.mqtt is None:
            raise ValueError("configure [uplink.https], [uplink.mqtt] or both")
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be at least backoff_initial_s")
        return self
