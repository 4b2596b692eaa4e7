"""Faces in one frame: detect (HOG), measure, align (5 points) and encode (128-d).

The expensive steps run only where they can pay off:

- detection runs on the region of interest, scaled down so it is at most
  ``detect_width`` pixels wide (HOG cost grows with pixels; it misses faces
  under ~80 px *after* scaling, so the width is a trade between range and
  speed), at ``upsample`` 0 by default;
- a face whose quality fails (:mod:`.quality`) is not encoded;
- a face lying where the caller already knows the answer (``skip`` boxes:
  a track already decided) is not measured or encoded either.

When the camera has a main stream beside the detection sub-stream, landmarks
and encodings come from the main stream's image (``detail``), where the face
has more pixels. Boxes are always returned in the detection image's pixels as
(top, right, bottom, left), like face_recognition.

A ``FaceEngine`` is used by one thread at a time (dlib objects are not
thread-safe); the daemon keeps one per worker process (:mod:`.workers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.vision.faces.models import FaceModels
from edge.vision.faces.quality import Quality, QualityLimits, assess

Box = tuple[int, int, int, int]  # top, right, bottom, left
Roi = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the frame


@dataclass(frozen=True, slots=True)
class DetectSettings:
    detect_width: int = 640
    upsample: int = 0
    min_score: float = 0.5  # HOG's SVM score: real faces in the samples score 0.64-2.2, a hand 0.46
    jitters: int = 0  # extra jittered encodings averaged (0: one pass; each adds a full encoding's cost)
    quality: QualityLimits = field(default_factory=QualityLimits)


@dataclass(frozen=True, slots=True)
class FaceFound:
    box: Box
    score: float
    quality: Quality | None  # None when skipped
    encoding: np.ndarray | None  # float32[128]; None when skipped or of poor quality

    @property
    def skipped(self) -> bool:
        return self.quality is None


class FaceEngine:
    def __init__(self, models: FaceModels, settings: DetectSettings | None = None) -> None:
        self.models = models
        self.settings = settings or DetectSettings()

    def analyze(
        self, image: np.ndarray, *, detail: np.ndarray | None = None, roi: Roi | None = None, skip: tuple[Box, ...] = (),
    ) -> list[FaceFound]:
        """Every face found in ``image`` (BGR), best-scored first."""
        detections = self.detect(image, roi)
        if not detections:
            return []
        source = detail if detail is not None else image
        scale_x = source.shape[1] / image.shape[1]
        scale_y = source.shape[0] / image.shape[0]
        rgb = cv2.cvtColor(source, cv2.COLOR_BGR2RGB)
        grey = cv2.cvtColor(source, cv2.COLOR_BGR2GRAY)
        found = []
        for box, score in detections:
            if any(overlap(box, known) >= 0.5 for known in skip):
                found.append(FaceFound(box, score, None, None))
                continue
            source_box = _scale_box(box, scale_x, scale_y)
            quality, encoding = self._encode(rgb, grey, source_box)
            found.append(FaceFound(box, score, quality, encoding))
        return found

    def detect(self, image: np.ndarray, roi: Roi | None = None) -> list[tuple[Box, float]]:
        """Face boxes in ``image`` pixels with their scores, best first."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = _roi_pixels(roi, width, height)
        crop = image[y0:y1, x0:x1]
        if crop.size == 0:
            return []
        scale = min(1.0, self.settings.detect_width / crop.shape[1])
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        if scale < 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects, scores, _ = self.models.detector.run(grey, self.settings.upsample, self.settings.min_score)
        boxes = []
        for rect, score in zip(rects, scores, strict=True):
            box = (
                max(0, y0 + round(rect.top() / scale)), min(width, x0 + round(rect.right() / scale)),
                min(height, y0 + round(rect.bottom() / scale)), max(0, x0 + round(rect.left() / scale)),
            )
            boxes.append((box, float(score)))
        boxes.sort(key=lambda item: -item[1])
        return boxes

    def encode_at(self, image: np.ndarray, box: Box) -> tuple[Quality, np.ndarray | None]:
        """Measure and encode the face at ``box`` of ``image`` (BGR): what ``analyze`` does after detection."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return self._encode(rgb, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), box)

    def encode_image(self, image: np.ndarray) -> list[FaceFound]:
        """Every face in a still photo (enrollment, ``faces identify``): the whole image, no roi."""
        return self.analyze(image)

    def _encode(self, rgb: np.ndarray, grey: np.ndarray, box: Box) -> tuple[Quality, np.ndarray | None]:
        import dlib

        top, right, bottom, left = box
        shape = self.models.landmarks(rgb, dlib.rectangle(left, top, right, bottom))
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        quality = assess(grey, box, points, self.settings.quality)
        if not quality.ok:
            return quality, None
        descriptor = self.models.encoder.compute_face_descriptor(rgb, shape, self.settings.jitters)
        return quality, np.asarray(descriptor, dtype=np.float32)


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[1] - box[3])


def _roi_pixels(roi: Roi | None, width: int, height: int) -> tuple[int, int, int, int]:
    if roi is None:
        return 0, 0, width, height
    x0, y0, x1, y1 = roi
    return round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height)


def _scale_box(box: Box, sx: float, sy: float) -> Box:
    if sx == 1.0 and sy == 1.0:
        return box
    top, right, bottom, left = box
    return round(top * sy), round(right * sx), round(bottom * sy), round(left * sx)
