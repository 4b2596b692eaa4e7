"""Ed25519 keys and signatures as the district uses them for downlink pages.

The district signs the exact bytes of every changes page and snapshot; the
signature travels base64-encoded in the ``X-Edge-Signature`` header, and the
box holds the raw 32-byte public key, base64-encoded, in its config.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def generate_keypair() -> tuple[Ed25519PrivateKey, str]:
    """A new private key and its public key as base64 of the raw 32 bytes."""
    private = Ed25519PrivateKey.generate()
    return private, public_key_b64(private)


def public_key_b64(private: Ed25519PrivateKey) -> str:
    """The public half of ``private`` as the box's config holds it."""
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(private: Ed25519PrivateKey, body: bytes) -> str:
    """The ``X-Edge-Signature`` value for ``body``: base64 of its Ed25519 signature."""
    return base64.b64encode(private.sign(body)).decode("ascii")
