"""A face change's data turned into a ``face_templates`` row: an embedding to use, or a photo to embed.

The district sends a template as an embedding with the model that made it, or
as a photo for the box to embed itself when its model differs. We store what
arrives; embedding photos is another component's job (rows with ``pending = 1``).

Data keys read (the rest is kept as JSON in ``data``):

- ``person_id`` (or ``resident_id``), ``model_id`` (or ``model``), ``enrolled_at``
- ``embedding``: a list of numbers, or base64 of float32 little-endian
- ``photo``: base64 of the photo bytes; or a reference, ``photo_url`` / ``photo_sha256``
- ``source_sha256``: the photo the template comes from (default: ``photo_sha256``)
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_READ_KEYS = frozenset({
    "person_id", "resident_id", "model_id", "model", "enrolled_at", "embedding",
    "photo", "photo_url", "photo_sha256", "source_sha256",
})


def face_row(template_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The columns of ``face_templates`` for an upsert (without ``updated_at``)."""
    embedding = _embedding(template_id, data.get("embedding"))
    photo = _photo(template_id, data.get("photo"))
    photo_ref = _text(data.get("photo_url")) or _text(data.get("photo_sha256"))
    return {
        "id": template_id,
        "person_id": _text(data.get("person_id")) or _text(data.get("resident_id")),
        "model_id": _text(data.get("model_id")) or _text(data.get("model")),
        "embedding": embedding,
        "dims": len(embedding) // 4 if embedding is not None else None,
        "photo": photo,
        "photo_ref": photo_ref,
        "source_sha256": _text(data.get("source_sha256")) or _text(data.get("photo_sha256")),
        "pending": int(embedding is None and (photo is not None or photo_ref is not None)),
        "enrolled_at": _text(data.get("enrolled_at")),
        "data": json.dumps({k: v for k, v in data.items() if k not in _READ_KEYS}, separators=(",", ":")),
    }


def _embedding(template_id: str, value: Any) -> bytes | None:
    """float32 little-endian bytes, or None (logged) when absent or unreadable."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            raw = base64.b64decode(value, validate=True)
            if not raw or len(raw) % 4:
                raise ValueError(f"{len(raw)} bytes is not a float32 vector")
            values = struct.unpack(f"<{len(raw) // 4}f", raw)
        elif isinstance(value, list) and value and all(_is_number(v) for v in value):
            values = tuple(float(v) for v in value)
            raw = struct.pack(f"<{len(values)}f", *values)
        else:
            raise ValueError("neither a list of numbers nor base64")
        if not all(math.isfinite(v) for v in values):
            raise ValueError("not finite")
    except (binascii.Error, ValueError, OverflowError, struct.error) as exc:
        log.warning("downlink.face_embedding_unreadable", template_id=template_id, error=str(exc))
        return None
    return raw


def _photo(template_id: str, value: Any) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except binascii.Error:
        log.warning("downlink.face_photo_unreadable", template_id=template_id)
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
