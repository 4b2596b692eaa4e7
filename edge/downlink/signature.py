"""Checking the district's Ed25519 signature on a downlink page before anything in it is believed.

The district signs the exact bytes of each changes page and snapshot and sends
the signature, base64, in ``X-Edge-Signature``; the box holds the district's raw
32-byte public key, base64, in ``[uplink] district_public_key``. A page that
fails here is refused whole: a tampered cache must not open gates.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_HEADER = "X-Edge-Signature"


class SignatureError(Exception):
    """The page is unsigned, or its signature is not the district's for these bytes."""


@functools.lru_cache(maxsize=4)
def load_public_key(public_b64: str) -> Ed25519PublicKey:
    """The district's key from its config form; ValueError if it is not one."""
    try:
        raw = base64.b64decode(public_b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"district_public_key is not a base64 Ed25519 public key: {exc}") from None


def verify(public_b64: str, body: bytes, signature_header: str | None) -> None:
    """Return if ``signature_header`` signs exactly ``body`` with the district's key; else raise SignatureError."""
    if not signature_header:
        raise SignatureError(f"page is not signed (no {SIGNATURE_HEADER})")
    try:
        signature = base64.b64decode(signature_header.strip(), validate=True)
    except binascii.Error:
        raise SignatureError(f"{SIGNATURE_HEADER} is not base64") from None
    try:
        load_public_key(public_b64).verify(signature, body)
    except InvalidSignature:
        raise SignatureError("signature does not match the page (bad key or tampered body)") from None
