"""The HTTPS transport: batches of events and media files to the district's API.

``POST {base}/v1/boxes/{box}/events`` with ``{"box_id", "events": [...]}``;
the reply's ``accepted`` and ``rejected`` lists settle the batch, anything in
neither is retried. ``PUT {base}/v1/boxes/{box}/media/{sha256}`` uploads a
file, idempotently. Bearer token; optional custom CA and client certificate.
Any failure to get a clear answer is a :class:`TransportError`: the sender
backs off and sends again, and the district deduplicates on ``event_id``.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import structlog

from edge.events.model import Event, MediaRef
from edge.uplink.config import HttpsUplinkConfig
from edge.uplink.transport import BatchRefused, SendResult, TransportError

log = structlog.get_logger(__name__)


class HttpsTransport:
    name = "https"
    carries_media = True

    def __init__(self, box_id: str, config: HttpsUplinkConfig, token: str) -> None:
        self._box_id = box_id
        self._config = config
        self._base = config.base_url.rstrip("/") + f"/v1/boxes/{box_id}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session: aiohttp.ClientSession | None = None

    async def send_events(self, events: list[Event]) -> SendResult:
        body = json.dumps(
            {"box_id": self._box_id, "events": [e.to_wire() for e in events]}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        headers = {**self._headers, "Content-Type": "application/json"}
        reply = await self._request("POST", f"{self._base}/events", data=body, headers=headers)
        return _parse_reply(reply, {e.event_id for e in events})

    async def send_media(self, ref: MediaRef, path: Path) -> None:
        data = await asyncio.to_thread(path.read_bytes)  # a clip on SD must not stall the loop
        headers = {**self._headers, "Content-Type": ref.content_type}
        await self._request("PUT", f"{self._base}/media/{ref.sha256}", data=data, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        session = self._open_session()
        try:
            async with session.request(method, url, **kwargs) as response:
                if response.status in (401, 403):
                    raise TransportError(f"the district refused the box token ({response.status})")
                if response.status in (400, 413, 422):
                    text = (await response.text())[:200]
                    raise BatchRefused(response.status, f"{method} {url}: HTTP {response.status} {text}")
                if response.status >= 300:
                    text = (await response.text())[:200]
                    raise TransportError(f"{method} {url}: HTTP {response.status} {text}")
                if response.content_type == "application/json":
                    return await response.json()
                return None
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
            raise TransportError(f"{method} {url}: {exc.__class__.__name__}: {exc}") from None
        except (ValueError, json.JSONDecodeError) as exc:
            raise TransportError(f"{method} {url}: unreadable reply: {exc}") from None

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self._config.timeout_s)
            connector = aiohttp.TCPConnector(ssl=self._ssl_context(), limit=4)
            self._session = aiohttp.ClientSession(timeout=timeout, connector=connector)
        return self._session

    def _ssl_context(self) -> ssl.SSLContext | bool:
        cfg = self._config
        if cfg.ca_file is None and cfg.client_cert is None:
            return True  # the system's trust store
        context = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
        if cfg.client_cert is not None and cfg.client_key is not None:
            context.load_cert_chain(str(cfg.client_cert), str(cfg.client_key))
        return context


def _parse_reply(reply: Any, sent: set[str]) -> SendResult:
    if not isinstance(reply, dict) or not isinstance(reply.get("accepted"), list):
        raise TransportError(f"the district's reply is not {{accepted, rejected}}: {str(reply)[:200]}")
    accepted = frozenset(str(i).lower() for i in reply["accepted"]) & sent
    rejected: dict[str, str] = {}
    for item in reply.get("rejected") or []:
        if isinstance(item, dict) and str(item.get("event_id")).lower() in sent:
            rejected[str(item["event_id"]).lower()] = str(item.get("reason", "rejected"))
    if sent and not accepted and not rejected:
        raise TransportError("the district's reply settled none of the batch")
    return SendResult(accepted, rejected)
