"""The ``[broadcast]`` section: voice, groups, quiet hours, schedules, and which alarms are announced."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuietHours(Section):
    start: time = Field(time(22, 0), title="From")
    end: time = Field(time(7, 0), title="Until")

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight


class ScheduleConfig(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", title="Id")
    cron: str = Field(title="When", description="Five-field cron, in the site's time zone: '30 8 * * 1-5'.")
    text: str = Field(min_length=1, max_length=1000, title="Text")
    targets: list[str] = Field(default_factory=list, title="Speakers or groups", description="Empty: every speaker.")
    repeat: int = Field(1, ge=1, le=10, title="Times")
    voice: str = Field("cmn", title="Voice")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"not a five-field cron expression: {value!r}")
        return value


class AlarmAnnouncement(Section):
    """Events announced at once, at life-safety urgency."""

    event_type: str = Field(title="Event type", description="e.g. sos.pressed")
    text: str = Field(
        title="Text", description="{location} and {name} are the device's, other {fields} the event's own data "
        "(e.g. {floor} of fall.detected); e.g. '{location} 一键报警，请立即处理'."
    )
    targets: list[str] = Field(default_factory=list, title="Speakers or groups")
    repeat: int = Field(2, ge=1, le=10, title="Times")


class BroadcastConfig(Section):
    voice: str = Field("cmn", title="Default voice", description="cmn (Mandarin) or en.")
    rate_wpm: int = Field(160, ge=80, le=400, title="Speaking rate (words per minute)")
    groups: dict[str, list[str]] = Field(default_factory=dict, title="Speaker groups",
                                         description="By building, unit or grid: {building-3 = ['spk-b3-1']}.")
    quiet_hours: QuietHours | None = Field(QuietHours(), title="Quiet hours",
                                           description="No scheduled notices then; alarms always play.")
    schedules: list[ScheduleConfig] = Field(default_factory=list, title="Scheduled notices")
    alarms: list[AlarmAnnouncement] = Field(
        default_factory=lambda: [AlarmAnnouncement(event_type="sos.pressed", text="{location}，一键报警，请立即处理")],
        title="Announced alarms",
    )
    cache_mb: int = Field(64, ge=1, le=4096, title="Speech cache (MB)")
