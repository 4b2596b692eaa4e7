"""Face recognition at the gates, inside the daemon: cameras in, events and gate openings out.

For every face camera that names a ``gate``, one task pulls frames (always
the newest: older ones waiting in the camera's buffer add nothing once a
newer frame exists) and runs the :class:`FacePipeline`. A decision becomes:

- ``granted``: the gate is opened first (``gate.open`` through the command
  router, source "face", so it is recorded like any other command), then a
  ``face.granted`` event (priority 3);
- ``denied``: a ``face.denied`` event with the access policy's reason (3);
- ``stranger``: a ``face.stranger`` event (priority 2) with a snapshot of the
  face, erased after ``snapshot_retention_days``.

Events carry distances and ids, never templates. Beside the cameras run the
upkeep jobs of :mod:`.upkeep`; a change to the gallery (district sync, ``edge
faces enroll`` / ``remove``) is a ``faces.gallery_changed`` event with counts. The workers' start-up failure (no models, no
dlib) is reported once and the cameras keep streaming without recognition.
"""

from __future__ import annotations

import asyncio
from typing import Any

import cv2
import numpy as np
import structlog

from drivers.base import Clock
from drivers.capabilities import FaceFeed
from drivers.capabilities.frame import Frame
from edge.access.config import AccessConfig
from edge.commands import Caller, CommandRequest, CommandRouter
from edge.events.model import MediaRef
from edge.events.record import Record
from edge.events.types.faces import FaceDenied, FaceGranted, FaceStranger, GalleryChanged
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.vision.faces.config import FacesConfig
from edge.vision.faces.models import FaceModelsError
from edge.vision.faces.pipeline import FaceDecision, FacePipeline
from edge.vision.faces.upkeep import (
    SNAPSHOT_KIND,
    GalleryKeeper,
    embed_pending,
    purge_snapshots,
    retention_cutoff,
)
from edge.vision.faces.workers import FaceWorkers, WorkerLost

log = structlog.get_logger(__name__)

_EVENTS = {"granted": FaceGranted, "denied": FaceDenied, "stranger": FaceStranger}
PURGE_EVERY_S = 3600.0


class FaceService:
    def __init__(
        self, config: FacesConfig, access: AccessConfig, *, cameras: dict[str, FaceFeed], timezone: str,
        writer: StoreWriter, media: MediaStore, record: Record, commands: CommandRouter, clock: Clock,
    ) -> None:
        self.config = config
        self.cameras = {cid: cam for cid, cam in cameras.items() if cam.config.gate}
        self.keeper = GalleryKeeper(writer.path, access, timezone)
        self.workers = FaceWorkers(config.detect_settings(), config.workers, config.models_dir)
        self._writer, self._media, self._record, self._commands, self._clock = writer, media, record, commands, clock
        self.pipelines: dict[str, FacePipeline] = {}
        self.error: str | None = None

    async def run(self) -> None:
        if not self.cameras or not self.config.enabled:
            return
        try:
            await self.workers.start()
        except FaceModelsError as exc:
            self.error = str(exc)
            log.error("faces.unavailable", error=self.error)
            return
        try:
            await self._refresh()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._upkeep(), name="faces:upkeep")
                for camera_id, camera in self.cameras.items():
                    group.create_task(self._watch(camera_id, camera), name=f"faces:{camera_id}")
        finally:
            await self.workers.close()

    def status(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "worker_restarts": self.workers.restarts,
            "templates": len(self.keeper.gallery),
            "people": self.keeper.gallery.persons(),
            "cameras": {cid: vars(p.stats) for cid, p in self.pipelines.items()},
        }

    async def _watch(self, camera_id: str, camera: FaceFeed) -> None:
        gate = camera.config.gate
        pipeline = FacePipeline(
            self.workers, lambda: self.keeper, lambda person, at: self._decide(person, gate, at),
            rules=self.config.match_rules(), tracks=self.config.track_settings(),
            motion=self.config.motion_settings(), roi=camera.config.roi,
        )
        self.pipelines[camera_id] = pipeline
        while True:
            frame = await camera.next_frame(timeout=1.0, newest=True)  # older buffered frames add nothing
            if frame is None:
                continue
            try:
                decisions = await pipeline.process(frame)
            except WorkerLost as exc:
                log.error("faces.worker_lost", camera=camera_id, error=str(exc), restarts=self.workers.restarts)
                continue
            for decision in decisions:
                await self._act(camera_id, gate, decision, frame)

    def _decide(self, person_id: str, gate: str, at: Any) -> Any:
        assert self.keeper.policy is not None, "refreshed before the cameras start"
        return self.keeper.policy.decide(person_id, gate, at)

    async def _act(self, camera_id: str, gate: str, decision: FaceDecision, frame: Frame) -> None:
        data: dict[str, Any] = {
            "camera": camera_id, "gate": gate, "person_id": decision.person_id, "distance": decision.distance,
            "margin": decision.margin, "votes": decision.votes, "track": decision.track_id,
            "reason": decision.reason, "grant_id": decision.grant_id, "frame": decision.frame,
        }
        media: tuple[MediaRef, ...] = ()
        if decision.kind == "granted":
            result = await self._commands.dispatch(CommandRequest("gate.open", gate, caller=Caller.face(camera_id)))
            data["gate_opened"] = result.ok
            if not result.ok:
                data["gate_error"] = result.detail
        elif decision.kind == "stranger":
            media = (await asyncio.to_thread(self._snapshot, frame, decision),)
        await self._record(_EVENTS[decision.kind](**data, media=media), device_id=camera_id, occurred_at=decision.at)

    def _snapshot(self, frame: Frame, decision: FaceDecision) -> MediaRef:
        image = frame.detail if frame.detail is not None else frame.image
        scale = image.shape[1] / frame.image.shape[1]
        top, right, bottom, left = (round(v * scale) for v in decision.box)
        pad = (right - left) // 2
        crop = image[max(0, top - pad):bottom + pad, max(0, left - pad):right + pad]
        if crop.shape[1] > 320:
            crop = cv2.resize(crop, (320, round(crop.shape[0] * 320 / crop.shape[1])), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok, "OpenCV encodes any non-empty BGR image"
        return self._media.put_bytes(np.asarray(jpeg).tobytes(), kind=SNAPSHOT_KIND, content_type="image/jpeg")

    async def _refresh(self) -> None:
        """Follow the store's templates and grants; a changed gallery is an event (counts, no faces)."""
        added, removed = await self.keeper.refresh()
        if added or removed:
            gallery = self.keeper.gallery
            await self._record(GalleryChanged(
                added=added, removed=removed, templates=len(gallery), people=gallery.persons(),
            ))

    async def _upkeep(self) -> None:
        since_purge = PURGE_EVERY_S
        while True:
            try:
                await self._refresh()
                await embed_pending(self.keeper, self.workers, self._writer, self.config.keep_source_photos)
                if since_purge >= PURGE_EVERY_S:
                    cutoff = retention_cutoff(self._clock.now(), self.config.snapshot_retention_days)
                    purged = await self._writer.run(lambda conn, c=cutoff: purge_snapshots(conn, self._media, c))
                    if purged:
                        log.info("faces.snapshots_purged", count=purged)
                    since_purge = 0.0
            except Exception as exc:  # a bad moment in the store must not stop recognition
                log.error("faces.upkeep_failed", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(self.config.refresh_s)
            since_purge += self.config.refresh_s

