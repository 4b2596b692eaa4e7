"""What the ``edge faces`` actions share: the config, the store, the engine, the gallery, the policy.

The config is the usual one (``--config`` / ``$EDGE_CONFIG`` / defaults). With
``--db`` given and no config to be found, the built-in defaults apply (no local
grants, the site timezone Asia/Shanghai).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from drivers.capabilities.face_camera import FaceCameraSettings
from edge.access.config import AccessConfig
from edge.cli.common import CliError, config_path, load
from edge.config.model import EdgeConfig
from edge.events.model import utc_rfc3339
from edge.store import StoreError
from edge.store.writer import StoreWriter
from edge.vision.faces.config import FacesConfig
from edge.vision.faces.engine import DetectSettings, FaceEngine
from edge.vision.faces.gallery import Gallery
from edge.vision.faces.models import MODEL_ID, FaceModelsError, load_models

STILL_DETECT_WIDTH = 1280  # photos: faces can be small in a large picture; speed matters less
DEFAULT_TIMEZONE = "Asia/Shanghai"


class FacesContext:
    def __init__(self, config: EdgeConfig | None, db: Path | None) -> None:
        self.config = config
        self.faces = getattr(config, "faces", None) or FacesConfig()
        self.access_config = getattr(config, "access", None) or AccessConfig()
        self.timezone = ZoneInfo(config.site.timezone if config is not None else DEFAULT_TIMEZONE)
        self.db = db or (config.store.db_path if config is not None else None)
        self.writer: StoreWriter | None = None
        self._workers: Any = None
        self._engine: FaceEngine | None = None

    @classmethod
    def for_files(cls, args: argparse.Namespace) -> FacesContext:
        return cls(_config_or_none(args), getattr(args, "db", None))

    def still_engine(self) -> FaceEngine:
        """An engine for photos, in this process."""
        if self._engine is None:
            settings = self.faces.detect_settings()
            settings = DetectSettings(max(settings.detect_width, STILL_DETECT_WIDTH), settings.upsample,
                                      settings.min_score, quality=settings.quality)
            self._engine = FaceEngine(_models(self.faces.models_dir), settings)
        return self._engine

    async def gallery(self) -> Gallery:
        from edge.vision.faces.gallery_store import GallerySync

        gallery = Gallery()
        await self._store().run(lambda conn: GallerySync(MODEL_ID).refresh(conn, gallery))
        return gallery

    async def access(self, gate: str | None) -> Callable[[str, datetime], Any]:
        from edge.access.loader import load_policy

        gate_id = gate or self._first_gate() or "*"
        grants = self.access_config.grants
        policy = await self._store().run(lambda conn: load_policy(conn, grants, self.timezone))
        return lambda person_id, at: policy.decide(person_id, gate_id, at)

    async def start_workers(self) -> Any:
        from edge.vision.faces.workers import FaceWorkers

        self._workers = FaceWorkers(self.faces.detect_settings(), 1, self.faces.models_dir)
        try:
            await self._workers.start()
        except FaceModelsError as exc:
            self._workers = None
            raise CliError(str(exc)) from None
        return self._workers

    def pipeline_options(self) -> dict[str, Any]:
        return {"rules": self.faces.match_rules(), "tracks": self.faces.track_settings(),
                "motion": self.faces.motion_settings()}

    async def remove_person(self, person_id: str, *, with_resident: bool) -> tuple[int, bool]:
        from edge.access.residents import delete_resident
        from edge.vision.faces.gallery_store import delete_person_templates

        now = utc_rfc3339(datetime.now(UTC))

        def job(conn) -> tuple[int, bool]:
            removed = delete_person_templates(conn, person_id, now)
            return removed, delete_resident(conn, person_id, now) if with_resident else False

        return await self._store().run(job)

    def _store(self) -> StoreWriter:
        assert self.writer is not None, "open_context() first"
        return self.writer

    def _first_gate(self) -> str | None:
        for device in self.config.devices if self.config is not None else ():
            if isinstance(device, FaceCameraSettings) and device.gate:
                return device.gate
        return None


@contextlib.asynccontextmanager
async def open_context(args: argparse.Namespace) -> AsyncIterator[FacesContext]:
    ctx = FacesContext.for_files(args)
    if ctx.db is None:
        raise CliError("no store: pass --db PATH or a config with [store]")
    ctx.db.parent.mkdir(parents=True, exist_ok=True)
    ctx.writer = StoreWriter(ctx.db)
    try:
        ctx.writer.open()
    except StoreError as exc:
        raise CliError(str(exc)) from None
    try:
        yield ctx
    finally:
        if ctx._workers is not None:
            await ctx._workers.close()
        await ctx.writer.close()


def _config_or_none(args: argparse.Namespace) -> EdgeConfig | None:
    explicit = getattr(args, "config", None) is not None
    if explicit or getattr(args, "db", None) is None:
        return load(args)
    try:
        config_path(args)
    except CliError:
        return None
    return load(args)


def _models(directory: Path | None):
    try:
        return load_models(directory)
    except FaceModelsError as exc:
        raise CliError(str(exc)) from None
