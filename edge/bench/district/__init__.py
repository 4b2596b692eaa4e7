"""A district server for loopback use: the peer of the uplink and downlink in tests and benchmarks.

It speaks the sync contract exactly (``server.py``), checks every EVENT
(``contract.py``) and signs downlink pages with Ed25519 (``signing.py``).
"""

from edge.bench.district.server import SIGNATURE_HEADER, DistrictServer, Signing

__all__ = ["SIGNATURE_HEADER", "DistrictServer", "Signing"]
