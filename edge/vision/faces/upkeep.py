"""Keeping the daemon's gallery and access policy current, and the box's face data small.

- ``GalleryKeeper``: the in-memory gallery follows ``face_templates`` (district
  sync and ``edge faces enroll`` alike) by reading only rows changed since the
  last look; the access policy is rebuilt when residents or grants change.
  Reads run in a thread on their own read-only connection; the gallery is
  changed under a lock that matching takes too.
- photos the district sent to be embedded on the box are encoded by the
  workers and erased once their template exists (unless configured to keep);
  a photo with no usable face is given up with the reason.
- ``purge_snapshots``: face snapshots older than the retention are erased —
  file, index row and any upload still queued.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import structlog

from edge.access.config import AccessConfig
from edge.access.loader import PolicyLoader
from edge.access.policy import AccessPolicy
from edge.store.database import open_database
from edge.store.media import MediaStore
from edge.store.retention import purge_media
from edge.store.writer import StoreWriter
from edge.vision.faces.gallery import Gallery, Match
from edge.vision.faces.gallery_store import GallerySync, complete_pending, pending_photos, reject_pending
from edge.vision.faces.models import MODEL_ID
from edge.vision.faces.workers import FaceAnalyzer, PhotoError

log = structlog.get_logger(__name__)

SNAPSHOT_KIND = "face.snapshot"


class GalleryKeeper:
    def __init__(self, db_path: Path, access: AccessConfig, timezone: str) -> None:
        self._db_path = db_path
        self.gallery = Gallery()
        self._sync = GallerySync(MODEL_ID)
        self._lock = threading.Lock()
        self._policies = PolicyLoader(access.grants, timezone)
        self.policy: AccessPolicy | None = None

    def match(self, queries: np.ndarray) -> list[Match]:
        with self._lock:
            return self.gallery.match(queries)

    async def refresh(self) -> tuple[int, int]:
        """Apply template, resident and grant changes; (templates added, removed)."""
        return await asyncio.to_thread(self._refresh)

    def _refresh(self) -> tuple[int, int]:
        conn = self._connect()
        try:
            with self._lock:
                changed = self._sync.refresh(conn, self.gallery)
            policy = self._policies.refresh(conn)  # reparses only rows that changed
            if policy is not self.policy:
                self.policy = policy
                log.info("faces.policy_loaded", residents=policy.resident_count, grants=policy.grant_count)
        finally:
            conn.close()
        if any(changed):
            log.info("faces.gallery_changed", added=changed[0], removed=changed[1], templates=len(self.gallery))
        return changed

    def pending(self, limit: int = 8) -> list:
        conn = self._connect()
        try:
            return pending_photos(conn, limit)
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        return open_database(self._db_path, readonly=True)


async def embed_pending(keeper: GalleryKeeper, analyzer: FaceAnalyzer, writer: StoreWriter, keep_photo: bool) -> int:
    """Encode the photos waiting to be embedded; how many were handled (embedded or given up)."""
    handled = 0
    for item in await asyncio.to_thread(keeper.pending):
        if item.photo is None:
            continue  # a reference to fetch: not supported yet, left pending (see docs/faces.md)
        try:
            face = await analyzer.encode_photo(item.photo)
        except PhotoError as exc:
            reason = str(exc)
            await writer.run(lambda conn, i=item, r=reason: reject_pending(conn, i.template_id, r))
            log.warning("faces.pending_rejected", template_id=item.template_id, reason=reason)
        else:
            vector = face.encoding
            await writer.run(lambda conn, i=item, v=vector: complete_pending(conn, i.template_id, v, MODEL_ID, keep_photo))
        handled += 1
    return handled


def purge_snapshots(conn: sqlite3.Connection, media: MediaStore, cutoff: datetime) -> int:
    """Erase face snapshots created before ``cutoff`` (a writer job); how many."""
    return purge_media(conn, media, SNAPSHOT_KIND, cutoff)


def retention_cutoff(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)
