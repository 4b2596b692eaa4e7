"""The sync API's wire shapes as pydantic models, and the OpenAPI 3.1 document built from them.

The district's developers read ``GET /api/v1/openapi.json``; the tests validate
every reply of :mod:`edge.api.sync` against these same models (``extra="forbid"``),
so the document cannot drift from what the box sends. Pydantic's JSON Schema is
draft 2020-12, the dialect OpenAPI 3.1 uses.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from edge import __version__

SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_LIMIT = 500
MAX_SEQ = 2**63 - 1  # SQLite's largest integer


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediaRef(_Wire):
    """A media file an event refers to; fetch it from ``GET /api/v1/media/{sha256}``."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    kind: str = Field(description="e.g. snapshot, clip, audio")
    content_type: str = Field(description="MIME type, e.g. image/jpeg")
    bytes: int = Field(ge=0)


class Event(_Wire):
    """One stored event, exactly as ``edge.events.model.Event.to_wire`` gives it."""

    event_id: str = Field(description="UUID; the district deduplicates on it")
    seq: int = Field(ge=1, description="Per box, from 1, strictly increasing and gap-free")
    type: str = Field(description="e.g. sos.pressed, gate.opened, device.offline")
    priority: int = Field(ge=0, le=3, description="0 life safety, 1 security, 2 device status, 3 routine")
    occurred_at: datetime = Field(description="RFC 3339, UTC, millisecond precision")
    clock_synced: bool = Field(description="Whether the box's clock was synchronised when it happened")
    device_id: str | None = Field(description="The device it came from; null for box-level events")
    data: dict[str, Any]
    media: list[MediaRef]


class EventsPage(_Wire):
    events: list[Event] = Field(description="Events with seq > after_seq, oldest first")
    last_seq: int = Field(ge=0, description="The store's last seq (0 when empty)")
    more: bool = Field(description="Whether events after this page exist: ask again with the last seq")


class DeviceCounts(_Wire):
    online: int = Field(ge=0)
    degraded: int = Field(ge=0)
    offline: int = Field(ge=0)


class Health(_Wire):
    status: Literal["ok", "degraded"] = Field(description="degraded while any device is offline")
    box_id: str
    version: str
    uptime_s: float = Field(ge=0)
    devices: DeviceCounts
    last_seq: int = Field(ge=0)
    clock_synced: bool


class CommandRequest(_Wire):
    type: str = Field(
        min_length=1,
        description="A device command (e.g. gate.open) or a box-level one (e.g. broadcast, sync.now)",
    )
    device_id: str | None = Field(None, description="Required for device commands; absent for box-level ones")
    args: dict[str, Any] = Field(default_factory=dict)


class CommandReply(_Wire):
    ok: bool = Field(description="false when the device or the box could not do it (still HTTP 200)")
    detail: str
    data: dict[str, Any]


class CommandRejected(_Wire):
    """A command refused before it ran (HTTP 400 or 404)."""

    ok: Literal[False]
    detail: str
    data: dict[str, Any]
    error: str = Field(description="Same text as detail")


class Error(_Wire):
    error: str


_MODELS: tuple[type[BaseModel], ...] = (
    MediaRef, Event, EventsPage, DeviceCounts, Health, CommandRequest, CommandReply, CommandRejected, Error,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_UNAUTHORIZED = _json("Error", "No token, or not the box token nor a console session")
_EVENTS_PARAMS = [
    {
        "name": "after_seq", "in": "query", "required": False,
        "description": "Return events with a greater seq (default 0: from the start)",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "default": 0},
    },
    {
        "name": "limit", "in": "query", "required": False,
        "description": f"Most events in the reply (default and maximum {MAX_LIMIT})",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT},
    },
]
_PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document",
        "responses": {
            "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": _UNAUTHORIZED,
        },
    }},
    "/api/v1/events": {"get": {
        "operationId": "listEvents", "summary": "Reconciliation: stored events after a seq, oldest first",
        "parameters": _EVENTS_PARAMS,
        "responses": {
            "200": _json("EventsPage", "A page of events"),
            "400": _json("Error", "A bad query parameter (unknown, repeated, not an integer, out of range)"),
            "401": _UNAUTHORIZED,
            "503": _json("Error", "The event store cannot be read"),
        },
    }},
    "/api/v1/health": {"get": {
        "operationId": "getHealth", "summary": "The box's health and device counts",
        "responses": {"200": _json("Health", "Health"), "401": _UNAUTHORIZED},
    }},
    "/api/v1/commands": {"post": {
        "operationId": "runCommand", "summary": "Run a device command, or a box-level one",
        "description": "Device commands are recorded as command.result events with their source.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CommandRequest")}}},
        "responses": {
            "200": _json("CommandReply", "The command ran; ok tells whether it succeeded"),
            "400": _json("CommandRejected", "Malformed body, unknown command type (the known ones are listed)"),
            "401": _UNAUTHORIZED,
            "404": _json("CommandRejected", "No such device"),
        },
    }},
    "/api/v1/media/{sha256}": {"get": {
        "operationId": "getMedia", "summary": "A media file, by the sha256 of its bytes",
        "parameters": [{"name": "sha256", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": SHA256_PATTERN}}],
        "responses": {
            "200": {
                "description": "The file, with the content type it was stored with",
                "headers": {"ETag": {"description": "The sha256, quoted", "schema": {"type": "string"}}},
                "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}},
            },
            "304": {"description": "If-None-Match named this file"},
            "400": _json("Error", "Not a lower-case hex sha256"),
            "401": _UNAUTHORIZED,
            "404": _json("Error", "No such media file"),
            "503": _json("Error", "The event store or the file cannot be read"),
        },
    }},
}


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of every sync API route (built once)."""
    _, schemas = models_json_schema(
        [(model, "validation") for model in _MODELS], ref_template="#/components/schemas/{model}"
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "community-edge box sync API",
            "version": __version__,
            "description": "What the district server reads from and asks of one box.",
        },
        "security": [{"boxToken": []}],
        "paths": _PATHS,
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "boxToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "The box token (the uplink's), or a console session token",
                },
            },
        },
    }


@functools.cache
def openapi_json() -> bytes:
    return json.dumps(openapi_document(), separators=(",", ":")).encode()
