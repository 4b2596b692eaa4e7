"""``edge bench faces``: what recognising one face costs on this box, stage by stage.

On a 640×480 frame with one face (a test photo walked up to the camera, as in
the demo video):

- ``detect_ms`` — HOG detection at the configured detection width;
- ``encode_ms`` — 5-point landmarks, quality and the 128-d encoding;
- ``match_ms`` — 1:N against a gallery of ``--gallery`` templates
  (random unit vectors plus the person's real ones), in this process;
- ``end_to_end_ms`` — one frame through the daemon's path: the worker
  process pool (pickling the frame there and back), the gallery, the verdict
  and the vote, i.e. from a frame in to its outcome;
- ``rss_mb`` — this process (gallery included) and the worker, resident.

Detection and encoding are timed in this process on one thread, as a worker
runs them; BLAS is held to one thread (see edge/__init__.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil

from drivers.capabilities.frame import Frame
from edge.vision.faces.config import FacesConfig
from edge.vision.faces.demo_video import make_gate_video
from edge.vision.faces.engine import FaceEngine
from edge.vision.faces.gallery import Gallery
from edge.vision.faces.models import load_models
from edge.vision.faces.pipeline import FacePipeline
from edge.vision.faces.workers import FaceWorkers

FACES = Path(__file__).resolve().parents[2] / "tests" / "data" / "faces"
PHOTO = FACES / "test" / "obama1.jpg"
ENROLL = FACES / "train" / "obama"


def run(gallery_size: int, frames: int, scratch: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    config = FacesConfig(**(overrides or {}))
    engine = FaceEngine(load_models(), config.detect_settings())
    frame = _frame(engine, scratch)
    gallery = _gallery(engine, gallery_size)
    detect, encode = _time_stages(engine, frame, frames)
    match = _time_match(engine, frame, gallery, 200)
    end_to_end, worker_rss = asyncio.run(_time_pipeline(config, frame, gallery, frames))
    import dlib

    return {
        "frame": [frame.shape[1], frame.shape[0]],
        "gallery": len(gallery),
        "frames": frames,
        "detect_width": config.detect_width,
        "upsample": config.upsample,
        "dlib_blas": bool(dlib.DLIB_USE_BLAS),
        "detect_ms_p50": _pct(detect, 50),
        "detect_ms_p95": _pct(detect, 95),
        "encode_ms_p50": _pct(encode, 50),
        "encode_ms_p95": _pct(encode, 95),
        "match_ms_p50": _pct(match, 50),
        "match_ms_p95": _pct(match, 95),
        "end_to_end_ms_p50": _pct(end_to_end, 50),
        "end_to_end_ms_p95": _pct(end_to_end, 95),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        "worker_rss_mb": worker_rss,
    }


def _frame(engine: FaceEngine, scratch: Path) -> np.ndarray:
    """The last (nearest) frame of the photo's walk up to the camera: 640×480, one face, JPEG'd."""
    video = scratch / "bench-gate.avi"
    make_gate_video(engine, [PHOTO], video, visit_frames=5, gap_frames=1)
    capture = cv2.VideoCapture(str(video))
    last = None
    for _ in range(6):
        ok, image = capture.read()
        last = image if ok else last
    capture.release()
    assert last is not None and len(engine.detect(last)) == 1, "the bench frame shows one face"
    return last


def _gallery(engine: FaceEngine, size: int) -> Gallery:
    gallery = Gallery(capacity=size + 8)
    for index, photo in enumerate(sorted(ENROLL.iterdir())):
        (face,) = engine.analyze(cv2.imread(str(photo)))
        gallery.add(f"obama-{index}", "obama", face.encoding)
    rng = np.random.default_rng(0)
    fill = max(0, size - len(gallery))
    vectors = rng.standard_normal((fill, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) * 1.6  # a spread like real encodings' (~0.6 norm)
    for index, vector in enumerate(vectors):
        gallery.add(f"r{index}", f"person-{index // 3}", vector)
    return gallery


def _time_stages(engine: FaceEngine, frame: np.ndarray, runs: int) -> tuple[list[float], list[float]]:
    detect, encode = [], []
    for _ in range(runs):
        started = time.perf_counter()
        ((box, _score),) = engine.detect(frame)
        detect.append(_ms(started))
        started = time.perf_counter()
        quality, vector = engine.encode_at(frame, box)
        encode.append(_ms(started))
        assert vector is not None, quality.problem
    return detect, encode


def _time_match(engine: FaceEngine, frame: np.ndarray, gallery: Gallery, runs: int) -> list[float]:
    (face,) = engine.analyze(frame)
    query = face.encoding[None, :]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        (best,) = gallery.match(query)
        times.append(_ms(started))
    assert best.person_id == "obama", best
    return times


async def _time_pipeline(config: FacesConfig, frame: np.ndarray, gallery: Gallery, runs: int) -> tuple[list[float], float]:
    workers = FaceWorkers(config.detect_settings(), 1, config.models_dir)
    await workers.start()
    try:
        times = []
        granted = _Allowed()
        for index in range(runs):
            # a fresh pipeline each frame: no motion history, no decided track to skip, so every frame is
            # detected, encoded and matched in full — the worst case, which is what a newcomer costs
            pipeline = FacePipeline(workers, lambda: gallery, lambda *_: granted, rules=config.match_rules(),
                                    tracks=config.track_settings())
            video_frame = Frame(index, float(index), datetime.now(UTC), frame)
            started = time.perf_counter()
            await pipeline.process(video_frame)
            times.append(_ms(started))
        worker_rss = sum(child.memory_info().rss for child in psutil.Process().children(recursive=True))
        return times, round(worker_rss / 2**20, 1)
    finally:
        await workers.close()


class _Allowed:
    allowed, reason, grant_id = True, "granted", None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)
