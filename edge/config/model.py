"""The daemon's config model, assembled from the sections below and every driver's own model.

Unknown keys are refused everywhere (``extra="forbid"``). ``[[devices]]`` tables
are told apart by their ``kind``, which picks the driver's config model from
:mod:`drivers.registry`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from drivers.registry import config_models
from edge.access.config import AccessConfig
from edge.broadcast.config import BroadcastConfig
from edge.uplink.config import UplinkConfig
from edge.vision.faces.config import FacesConfig
from edge.vision.falls.config import FallsConfig


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(Section):
    box_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        title="Box id",
        description="This box's id at the district (lower case, digits, - and _).",
    )
    name: str = Field("", title="Community name")
    timezone: str = Field("Asia/Shanghai", title="Time zone", description="IANA name, for schedules.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class StoreConfig(Section):
    data_dir: Path = Field(
        Path("/var/lib/community-edge"),
        title="Data directory",
        description="Event store, media and secrets; a relative path is taken from the working directory.",
    )
    max_batch: int = Field(256, ge=1, le=5000, title="Most events per transaction")
    busy_timeout_ms: int = Field(5000, ge=100, le=60000, title="SQLite busy timeout (ms)")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "events.db"


class ConsoleConfig(Section):
    enabled: bool = Field(True, title="Serve the local console and API")
    host: str = Field("127.0.0.1", title="Listen address")
    port: int = Field(8780, ge=0, le=65535, title="Port", description="0 picks a free port.")


class LoggingConfig(Section):
    level: Literal["debug", "info", "warning", "error"] = Field("info", title="Log level")
    format: Literal["auto", "json", "console"] = Field(
        "auto", title="Log format", description="auto: readable on a terminal, JSON lines otherwise."
    )


class SupervisorConfig(Section):
    backoff_initial_s: float = Field(1.0, gt=0, le=60, title="First retry delay (s)")
    backoff_max_s: float = Field(60.0, gt=0, le=3600, title="Longest retry delay (s)")
    probe_interval_s: float = Field(10.0, gt=0, le=3600, title="Health probe interval (s)")
    connect_timeout_s: float = Field(15.0, gt=0, le=300, title="Connect timeout (s)")

    @model_validator(mode="after")
    def _ordered(self) -> SupervisorConfig:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be at least backoff_initial_s")
        return self


DeviceConfig = Annotated[Union[tuple(config_models())], Field(discriminator="kind")]  # noqa: UP007


class EdgeConfig(Section):
    site: SiteConfig
    store: StoreConfig = StoreConfig()
    console: ConsoleConfig = ConsoleConfig()
    logging: LoggingConfig = LoggingConfig()
    supervisor: SupervisorConfig = SupervisorConfig()
    uplink: UplinkConfig | None = Field(None, title="District uplink", description="None: the box works offline only.")
    broadcast: BroadcastConfig = Field(BroadcastConfig(), title="Broadcasts")
    access: AccessConfig = Field(default_factory=AccessConfig, title="Access", description="Local gate grants.")
    faces: FacesConfig = Field(
        default_factory=FacesConfig, title="Face recognition", description="How gate cameras recognise residents.",
    )
    falls: FallsConfig = Field(
        default_factory=FallsConfig, title="Thrown objects", description="Detection on the façade cameras.",
    )
    devices: list[DeviceConfig] = Field(default_factory=list, title="Devices")  # type: ignore[valid-type]

    @field_validator("devices")
    @classmethod
    def _unique_ids(cls, devices: list) -> list:
        seen: set[str] = set()
        for device in devices:
            if device.id in seen:
                raise ValueError(f"device id {device.id!r} is used twice")
            seen.add(device.id)
        return devices

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> EdgeConfig:
        if (info.context or {}).get("defer_references"):
            return self  # the loader reports them one by one, with their lines
        problems = self.reference_problems()
        if problems:
            raise ValueError("; ".join(f"{format_loc(loc)}: {message}" for loc, message in problems))
        return self

    def reference_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Devices that name a missing, disabled or wrong-kind device, or use it wrongly."""
        by_id = {device.id: device for device in self.devices}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, device in enumerate(self.devices):
            for target_id, wanted in device.references().items():
                kinds = (wanted,) if isinstance(wanted, str) else wanted
                kind = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
                target = by_id.get(target_id)
                if target is None:
                    problems.append((("devices", index), f"needs {kind} {target_id!r}, which is not configured"))
                elif target.kind not in kinds:
                    problems.append((("devices", index), f"{target_id!r} is a {target.kind}, not a {kind}"))
                elif not target.enabled and device.enabled:
                    problems.append((("devices", index), f"needs {target_id!r}, which is disabled"))
                else:
                    for problem in device.check_reference(target):
                        field, _, message = problem.partition(": ")
                        loc = ("devices", index, field) if message else ("devices", index)
                        problems.append((loc, message or problem))
        return problems + self._grant_gate_problems(by_id)

    def _grant_gate_problems(self, by_id: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
        """Local grants must name gates this box has (or "*"): a typo would silently let nobody in."""
        from drivers.capabilities.face_camera import GATE_KINDS

        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, grant in enumerate(self.access.grants):
            for gate in grant.gates:
                device = by_id.get(gate)
                if gate != "*" and (device is None or device.kind not in GATE_KINDS):
                    problems.append((("access", "grants", index, "gates"), f"{gate!r} is not a gate on this box"))
        return problems


def format_loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
