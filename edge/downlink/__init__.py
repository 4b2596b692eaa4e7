"""The downlink: the district's residents, faces, grants, config and broadcasts, cached on the box.

``ChangesClient`` (client.py) fetches pages and checks each one's Ed25519
signature (signature.py) before parsing it (page.py); ``DownlinkCache``
(cache.py) writes a page and its cursor in one store transaction (tables.py,
faces.py); ``DownlinkPoller`` (poller.py) polls, follows ``more``, rebuilds
from the snapshot on 410, backs off on failure and records refused pages.
"""

from edge.downlink.cache import CURSOR_KEY, DownlinkCache
from edge.downlink.client import ChangesClient, CursorExpired, DownlinkError, PageRefused
from edge.downlink.page import Change, Page, PageFormatError, parse_page
from edge.downlink.poller import DownlinkPoller
from edge.downlink.signature import SIGNATURE_HEADER, SignatureError, verify

__all__ = [
    "CURSOR_KEY", "SIGNATURE_HEADER", "Change", "ChangesClient", "CursorExpired", "DownlinkCache",
    "DownlinkError", "DownlinkPoller", "Page", "PageFormatError", "PageRefused", "SignatureError",
    "parse_page", "verify",
]
