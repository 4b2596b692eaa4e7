"""Thrown-object detection inside the daemon: façade frames in, ``fall.detected`` alarms with evidence out.

For each façade camera with a ``calibration``, one task takes every frame in
order (a gap left by frames the camera dropped is kept: frame indices carry
it) and hands it to that camera's own analysis thread, which runs the
:class:`FallDetector` and keeps a JPEG ring of recent frames. The event loop
only waits for the thread's answer.

When the detector reports a fall, the task waits until ``post_s`` more
seconds are in the ring, then — in another thread, so live frames keep being
analysed — writes the clip (``pre_s`` before the release to ``post_s`` after
the fall) and the annotated picture, stores both as media and records
``fall.detected`` (priority 1) with them. A calibration that cannot be read
is reported once (``falls.calibration_invalid``) and that camera skipped.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog

from drivers.base import Clock
from drivers.capabilities import FacadeFeed
from drivers.capabilities.frame import Frame
from edge.events.model import MediaRef
from edge.events.record import Record
from edge.events.types.falls import FallDetected, FallsBlind, FallsCalibrationInvalid, FallsSighted
from edge.store.media import MediaStore
from edge.store.retention import purge_media
from edge.store.writer import StoreWriter
from edge.vision.falls.calibration import CalibrationError, FloorCalibration, load_calibration
from edge.vision.falls.config import FallsConfig
from edge.vision.falls.detector import FallConfig, FallDetector, FallEvent
from edge.vision.falls.evidence import write_evidence
from edge.vision.falls.ring import JpegRing

log = structlog.get_logger(__name__)

CLIP_KIND, PICTURE_KIND = "fall.clip", "fall.picture"
PURGE_EVERY_S = 3600.0
FPS_SAMPLE_FRAMES = 13  # half a second at 25 fps
BLIND_SHARE, SIGHTED_SHARE = 0.5, 0.1  # of a window's frames skipped: blind from, sighted again below
_CONTENT_TYPES = {".mp4": "video/mp4", ".avi": "video/x-msvideo"}


@dataclass
class CameraAnalysis:
    """One camera's detector and ring; touched only by that camera's analysis thread (and the ring's lock)."""

    detector: FallDetector
    ring: JpegRing
    fps: float
    frames: int = 0
    events: list[FallEvent] = field(default_factory=list)
    blind: bool = False  # most frames of the last window were skipped (snow, a dirty lens, constant shake)
    window_frames: int = 0  # frames and skips counted since the window began
    window_skips: dict[str, int] = field(default_factory=dict)

    def take_window(self) -> tuple[int, dict[str, int]]:
        """Frames analysed and frames skipped (by reason, warm-up aside) since the last call."""
        skips = {k: v for k, v in self.detector.skipped.items() if k != "warming"}
        delta = {k: v - self.window_skips.get(k, 0) for k, v in skips.items() if v > self.window_skips.get(k, 0)}
        frames, self.window_frames, self.window_skips = self.frames - self.window_frames, self.frames, skips
        return frames, delta


class FallService:
    def __init__(
        self, config: FallsConfig, *, cameras: dict[str, FacadeFeed], media: MediaStore, record: Record,
        writer: StoreWriter | None = None, clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.cameras = {cid: cam for cid, cam in cameras.items() if cam.config.calibration is not None}
        self._media, self._record, self._writer, self._clock = media, record, writer, clock
        self.analyses: dict[str, CameraAnalysis] = {}
        self.errors: dict[str, str] = {}

    async def run(self) -> None:
        if not self.config.enabled or not self.cameras:
            return
        async with asyncio.TaskGroup() as group:
            if self._writer is not None and self._clock is not None:
                group.create_task(self._purge_evidence(), name="falls:retention")
            for camera_id, camera in self.cameras.items():
                calibration = await self._calibration(camera_id, camera.config.calibration)
                if calibration is not None:
                    group.create_task(self._watch(camera_id, camera, calibration), name=f"falls:{camera_id}")

    async def _purge_evidence(self) -> None:
        while True:
            await self.purge_evidence()
            await asyncio.sleep(PURGE_EVERY_S)

    async def purge_evidence(self) -> int:
        """Erase clips and pictures older than ``evidence_retention_days``; how many."""
        assert self._writer is not None and self._clock is not None
        cutoff = self._clock.now() - timedelta(days=self.config.evidence_retention_days)
        purged = 0
        for kind in (CLIP_KIND, PICTURE_KIND):
            count = await self._writer.run(lambda conn, k=kind: purge_media(conn, self._media, k, cutoff))
            if count:
                log.info("falls.evidence_purged", kind=kind, count=count)
            purged += count
        return purged

    def status(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "cameras": {cid: {"fps": a.fps, "frames": a.frames, "events": len(a.events), "blind": a.blind,
                              "skipped": dict(a.detector.skipped)}
                        for cid, a in self.analyses.items()},
        }

    async def _calibration(self, camera_id: str, path: Path) -> FloorCalibration | None:
        try:
            return await asyncio.to_thread(load_calibration, path)
        except (CalibrationError, OSError) as exc:
            self.errors[camera_id] = str(exc)
            log.error("falls.calibration_invalid", camera=camera_id, error=str(exc))
            await self._record(FallsCalibrationInvalid(camera=camera_id, error=str(exc)), device_id=camera_id)
            return None

    async def _watch(self, camera_id: str, camera: FacadeFeed, calibration: FloorCalibration) -> None:
        loop = asyncio.get_running_loop()
        analysis, frames = await self._warm_up(camera, calibration)
        self.analyses[camera_id] = analysis
        post = round(self.config.post_s * analysis.fps)
        blind_window = max(1, round(self.config.blind_window_s * analysis.fps))
        with ThreadPoolExecutor(1, thread_name_prefix=f"falls:{camera_id}") as thread:
            async with asyncio.TaskGroup() as reports:
                waiting: list[FallEvent] = []
                last = 0
                while True:
                    frame = frames.pop(0) if frames else await camera.next_frame(timeout=1.0)
                    if frame is None:  # the camera went quiet: report what is waiting with what the ring has
                        for event in waiting:
                            reports.create_task(self._report(camera_id, camera, analysis, event, last))
                        waiting.clear()
                        continue
                    last = frame.index
                    waiting += await loop.run_in_executor(thread, _analyse, analysis, frame)
                    if analysis.frames - analysis.window_frames >= blind_window:
                        await self._check_sight(camera_id, analysis)
                    for event in [e for e in waiting if frame.index >= e.end_frame + post]:
                        waiting.remove(event)
                        reports.create_task(self._report(camera_id, camera, analysis, event, frame.index))

    async def _check_sight(self, camera_id: str, analysis: CameraAnalysis) -> None:
        """A camera that skips most frames sees nothing: say so once (``falls.blind``), and once when it
        sees again (``falls.sighted``), so nobody trusts a silent camera."""
        frames, skips = analysis.take_window()
        share = sum(skips.values()) / frames if frames else 0.0
        if not analysis.blind and share >= BLIND_SHARE:
            analysis.blind = True
            log.warning("falls.blind", camera=camera_id, skipped_share=round(share, 2), reasons=skips)
            await self._record(FallsBlind(camera=camera_id, skipped_share=round(share, 2), reasons=skips),
                               device_id=camera_id)
        elif analysis.blind and share <= SIGHTED_SHARE:
            analysis.blind = False
            log.info("falls.sighted", camera=camera_id)
            await self._record(FallsSighted(camera=camera_id, skipped_share=round(share, 2)), device_id=camera_id)

    async def _warm_up(self, camera: FacadeFeed, calibration: FloorCalibration) -> tuple[CameraAnalysis, list[Frame]]:
        """The camera's analysis, once its frame rate is known: its config's ``fps``, else measured over
        the first frames (their clock stamps), which are handed back to be analysed."""
        frames: list[Frame] = []
        fps = camera.declared_fps
        while not frames or (fps is None and len(frames) < FPS_SAMPLE_FRAMES):
            frame = await camera.next_frame(timeout=1.0)
            if frame is not None:
                frames.append(frame)
            elif frames:
                break  # a slow or stalling camera: measure what came
        if fps is None:
            fps = _measured_fps(frames) or self.config.default_fps
        height, width = frames[0].image.shape[:2]
        detector = FallDetector(calibration, (width, height), fps, FallConfig(work_width=self.config.work_width))
        seconds = self.config.pre_s + self.config.max_fall_s + self.config.post_s
        ring = JpegRing(seconds, fps, self.config.evidence_width, self.config.jpeg_quality)
        return CameraAnalysis(detector, ring, fps), frames

    async def _report(self, camera_id: str, camera: FacadeFeed, analysis: CameraAnalysis, event: FallEvent, last: int) -> None:
        first = max(0, int(event.release_frame) - round(self.config.pre_s * analysis.fps))
        data = {key: value for key, value in event.to_json().items() if key != "type"}
        data |= {"camera": camera_id, "building": camera.config.building}
        try:
            media = await asyncio.to_thread(self._evidence, analysis, event, first, last)
        except Exception as exc:  # the alarm matters more than its evidence: record it without
            media = ()
            data["evidence_error"] = str(exc) or type(exc).__name__
            log.error("falls.evidence_failed", camera=camera_id, error=data["evidence_error"])
        occurred = analysis.ring.wall_of(event.release_frame)
        await self._record(FallDetected(**data, media=media), device_id=camera_id, occurred_at=occurred)

    def _evidence(self, analysis: CameraAnalysis, event: FallEvent, first: int, last: int) -> tuple[MediaRef, ...]:
        frames = analysis.ring.between(first, last)
        if not frames:
            return ()
        size = analysis.detector.calibration.frame_size
        with tempfile.TemporaryDirectory(prefix="edge-fall-") as scratch:
            evidence = write_evidence(frames, event, size, analysis.fps, Path(scratch), f"fall-{event.start_frame}")
            clip = self._media.put_file(evidence.clip, kind=CLIP_KIND,
                                        content_type=_CONTENT_TYPES.get(evidence.clip.suffix, "video/x-msvideo"))
            picture = self._media.put_file(evidence.picture, kind=PICTURE_KIND, content_type="image/jpeg")
        return clip, picture


def _measured_fps(frames: list[Any]) -> float | None:
    """Frames per second from the frames' indices and clock stamps (dropped frames keep their index):
    the median interval, so a stall at start-up and the burst that catches up after it don't count."""
    intervals = [(b.monotonic - a.monotonic) / (b.index - a.index)
                 for a, b in zip(frames, frames[1:], strict=False) if b.index > a.index]
    if not intervals:
        return None
    interval = statistics.median(intervals)
    fps = 1.0 / interval if interval > 0 else 0.0
    return round(fps, 1) if 1.0 <= fps <= 120.0 else None


def _analyse(analysis: CameraAnalysis, frame: Any) -> list[FallEvent]:
    """In the camera's analysis thread: keep the frame for evidence, then look for falls."""
    analysis.ring.push(frame.index, frame.wall, frame.image)
    analysis.frames += 1
    events = analysis.detector.process(frame.image, frame.index)
    analysis.events += events
    return events
