"""The recognition paths that run on files instead of cameras: ``faces identify`` and ``faces watch``.

``identify_image`` is one photo against the gallery, one verdict per face, no
voting. ``watch_video`` feeds a video's frames through the same
:class:`FacePipeline` the daemon runs for a camera — the same analyzer, tracker,
votes and access policy — but takes every frame in order, timed by the video's
own frame rate, so the result does not depend on how fast this machine is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from drivers.capabilities.frame import Frame
from edge.vision.faces.engine import FaceEngine
from edge.vision.faces.gallery import Gallery
from edge.vision.faces.pipeline import AccessLike, FaceDecision, FacePipeline, PipelineStats
from edge.vision.faces.verdict import MatchRules, judge
from edge.vision.faces.workers import FaceAnalyzer


class MediaError(ValueError):
    """An image or video that cannot be read."""


def identify_image(engine: FaceEngine, gallery: Gallery, rules: MatchRules, path: Path) -> dict[str, Any]:
    """``{"image", "faces": [{"box", "person_id", "distance", "decision"}]}`` for one photo."""
    if not path.is_file():
        raise MediaError(f"no such image: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"cannot read image {path}")
    faces = engine.analyze(image)
    encoded = [f.encoding for f in faces if f.encoding is not None]
    matches = iter(gallery.match(np.stack(encoded)) if encoded else [])
    out = []
    for face in faces:
        person_id = distance = None
        decision = "unknown"
        if face.encoding is not None:
            verdict = judge(next(matches), rules)
            distance = verdict.distance
            if verdict.kind == "match":
                person_id, decision = verdict.person_id, "match"
        out.append({"box": list(face.box), "person_id": person_id, "distance": distance, "decision": decision})
    return {"image": str(path), "faces": out}


async def watch_video(
    path: Path,
    analyzer: FaceAnalyzer,
    gallery: Gallery,
    access: Callable[[str, datetime], AccessLike],
    *,
    start: datetime,
    pipeline_options: dict[str, Any] | None = None,
    stats: PipelineStats | None = None,
) -> AsyncIterator[FaceDecision]:
    """Every decision the pipeline makes over the video, in frame order; ``stats`` is kept up to date."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"cannot open video {path}")
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        period = 1.0 / fps if 0 < fps < 1000 else 0.1
        pipeline = FacePipeline(analyzer, lambda: gallery, access, **(pipeline_options or {}))
        if stats is not None:
            pipeline.stats = stats
        index = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frame = Frame(index, index * period, start + timedelta(seconds=index * period), image)
            for decision in await pipeline.process(frame):
                yield decision
            index += 1
        if index == 0:
            raise MediaError(f"no readable frames in {path}")
    finally:
        capture.release()
