"""``ChangesClient``: asks the district for downlink pages and hands back only verified, parsed ones.

``GET {base_url}/v1/boxes/{box}/changes?since=CURSOR&limit=500`` and
``GET {base_url}/v1/boxes/{box}/snapshot``, with the box token as a bearer
token and the CA / client certificate of ``[uplink.https]``. The body is read
whole, its signature checked against those exact bytes, and only then parsed:
nothing unverified leaves this module. The envelope must then name this box
and the ``since`` we asked with (null for a snapshot), and must not be older
than ``MAX_PAGE_AGE`` by the box clock. A 410 is believed only when it is a
signed envelope for this box and this cursor; otherwise it is refused and the
box keeps its cursor and its data. (The serial is checked by the poller,
against the one held with the cursor.)

Staleness bound: one hour. A box whose clock runs behind (unsynced, see
edge/timesync.py) sees pages "from the future": these are not refused, since
the since/serial binding already stops replays; a clock running far ahead
would refuse every page, which stops updates but never revives old data.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from edge.downlink.page import Envelope, Page, PageFormatError, parse_expired, parse_page
from edge.downlink.signature import SIGNATURE_HEADER, SignatureError, load_public_key, verify
from edge.uplink.config import HttpsUplinkConfig

PAGE_LIMIT = 500
MAX_BODY_BYTES = 256 * 1024 * 1024  # a snapshot with face photos is large, but not unbounded
MAX_PAGE_AGE = timedelta(hours=1)


class DownlinkError(Exception):
    """The district could not be asked or did not answer usefully (network, timeout, HTTP status)."""


class CursorExpired(Exception):
    """A signed 410 Gone: the district no longer keeps changes since our cursor; rebuild from the snapshot."""

    def __init__(self, message: str, envelope: Envelope) -> None:
        super().__init__(message)
        self.envelope = envelope


class PageRefused(Exception):
    """The district answered, but with a page we will not apply: unsigned, badly signed, tampered or malformed."""

    def __init__(self, endpoint: str, since: str | None, reason: str, *, binding: bool = False) -> None:
        super().__init__(f"{endpoint} page refused: {reason}")
        self.endpoint, self.since, self.reason = endpoint, since, reason
        self.binding = binding  # signed, but bound to another box, cursor, serial or time


class ChangesClient:
    """One box's downlink over HTTPS; opens its session on first use, ``close()`` when done."""

    def __init__(
        self, https: HttpsUplinkConfig, token: SecretStr | str, box_id: str, public_key_b64: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        load_public_key(public_key_b64)  # a bad key fails at start, not at the first page
        self._https = https
        self._token = token.get_secret_value() if isinstance(token, SecretStr) else token
        self._public_key_b64 = public_key_b64
        self._box_id, self._now = box_id, now
        self._base = f"{https.base_url.rstrip('/')}/v1/boxes/{quote(box_id, safe='')}"
        self._session: aiohttp.ClientSession | None = None

    async def changes(self, since: str) -> Page:
        """The page after ``since``; CursorExpired on 410, PageRefused, DownlinkError."""
        return await self._get("changes", {"since": since, "limit": str(PAGE_LIMIT)})

    async def snapshot(self) -> Page:
        """Every current item, and the cursor to continue from."""
        return await self._get("snapshot", {})

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, what: str, params: dict[str, str]) -> Page:
        session = await self._open()
        try:
            async with session.get(f"{self._base}/{what}", params=params) as response:
                if (response.content_length or 0) > MAX_BODY_BYTES:
                    raise DownlinkError(f"{what}: {response.content_length} bytes is more than a page may be")
                body = await _read_capped(response, what)
                status, signature = response.status, response.headers.get(SIGNATURE_HEADER)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownlinkError(f"{what}: {exc.__class__.__name__}: {exc}") from exc
        since = params.get("since")
        if status == 410 and what == "changes":
            raise CursorExpired(f"cursor {since!r} expired", await self._checked(what, since, body, signature, True))
        if status in (401, 403):
            raise DownlinkError(f"{what}: the district refused the box token (HTTP {status})")
        if status != 200:
            raise DownlinkError(f"{what}: HTTP {status} {body[:120].decode('utf-8', 'replace')}")
        page = await self._checked(what, since, body, signature, False)
        assert isinstance(page, Page)
        return page

    async def _checked(self, what: str, since: str | None, body: bytes, signature: str | None, expired: bool) -> Any:
        """The verified page (or 410 envelope) if it is bound to this box, this request and now; else PageRefused."""
        try:  # verifying and parsing a snapshot of many MB is CPU work: off the event loop
            parsed = await asyncio.to_thread(_verified, self._public_key_b64, body, signature, expired)
        except (SignatureError, PageFormatError) as exc:
            raise PageRefused(what, since, ("410: " if expired else "") + str(exc)) from exc
        envelope = parsed if isinstance(parsed, Envelope) else parsed.envelope
        problem = self._binding_problem(envelope, since)
        if problem is not None:
            raise PageRefused(what, since, ("410: " if expired else "") + problem, binding=True)
        return parsed

    def _binding_problem(self, envelope: Envelope, since: str | None) -> str | None:
        if envelope.box_id != self._box_id:
            return "page is for another box"
        if envelope.since != since:
            return "page answers another cursor than the one asked"
        if self._now() - envelope.issued_at > MAX_PAGE_AGE:
            return "page is stale (issued more than an hour ago)"
        return None

    async def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            context = await asyncio.to_thread(ssl_context, self._https)  # reads certificate files
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=self._https.timeout_s),
                connector=aiohttp.TCPConnector(ssl=context if context is not None else True),
            )
        return self._session


async def _read_capped(response: aiohttp.ClientResponse, what: str) -> bytes:
    """The whole body, refusing one larger than MAX_BODY_BYTES (``read(n)`` may return less than n)."""
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise DownlinkError(f"{what}: more than {MAX_BODY_BYTES} bytes: refused")
        chunks.append(chunk)
    return b"".join(chunks)


def _verified(public_key_b64: str, body: bytes, signature: str | None, expired: bool) -> Page | Envelope:
    verify(public_key_b64, body, signature)
    return parse_expired(body) if expired else parse_page(body)


def ssl_context(https: HttpsUplinkConfig) -> ssl.SSLContext | None:
    """A context trusting ``ca_file`` and presenting the client certificate; None: the defaults."""
    if not https.base_url.startswith("https") or (https.ca_file is None and https.client_cert is None):
        return None
    context = ssl.create_default_context(cafile=str(https.ca_file) if https.ca_file else None)
    if https.client_cert is not None and https.client_key is not None:
        context.load_cert_chain(https.client_cert, https.client_key)
    return context
