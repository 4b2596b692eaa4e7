"""Small moving things in a stream of grey frames: three-frame differencing with guards.

Each frame is compared with a running-average background and with the two
frames before it: a pixel holds a moving object when it differs from the
background (so not the ghost an object leaves where it was) and has changed
within the last two frames (so not a slow change the background lags
behind). The threshold adapts: a global part from the measured noise of the
differences (a high percentile, robust to compression), plus a per-pixel part
proportional to the local gradient, so that sub-pixel camera jitter does not
light up every window frame.

Camera shake is measured by phase correlation of a façade patch against the
previous frame: a moderate move is compensated (the history and background
are shifted onto the new frame), a large one skips the frame and restarts.
Other global guards skip a frame rather than let it through: too much changed
area (lights, IR switch, an insect on the lens), too many blobs (rain, snow,
night noise). After shake or a big change the history is re-initialised.
Blobs are measured from contours, which is cheap on the sparse masks left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class MotionConfig:
    noise_gain: float = 2.6  # threshold = gain x the 90th percentile of |difference| (about 4.3 sigma)
    min_threshold: int = 7
    max_threshold: int = 60
    edge_gain: float = 0.35  # camera jitter tolerated, in working pixels: threshold += gain x edge step
    edge_every: int = 10  # frames between gradient-map refreshes
    max_changed_fraction: float = 0.015
    max_blobs: int = 25
    max_blob_side: int = 16  # working pixels
    max_blob_area: int = 90
    max_shift_px: float = 0.5  # working pixels between consecutive frames before compensating
    max_compensated_px: float = 3.0  # beyond this the frame is skipped and the history restarted
    min_shift_response: float = 0.3  # phase-correlation peaks below this are noise, not shake
    shake_edge_factor: float = 3.0  # while compensating, edges get this much more tolerance
    background_rate: float = 0.05  # running-average background: where an object is now, not was
    background_share: float = 0.8  # of the threshold, for differing from the background
    recent_share: float = 0.5  # of the threshold, for having changed in the last two frames
    patch_size: int = 192


@dataclass(frozen=True)
class Blob:
    x: float
    y: float
    area: int
    width: int
    height: int


@dataclass(frozen=True)
class MotionResult:
    blobs: list[Blob]
    skipped: str | None = None  # why the frame was not analysed ("warming", "shake", ...)
    threshold: float = 0.0


class MotionDetector:
    """Feed grey working-resolution frames in order; get the blobs that moved in each."""

    def __init__(self, region: np.ndarray, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self.region = region
        self._region_pixels = max(int(cv2.countNonZero(region)), 1)
        sample = np.flatnonzero(region.ravel())
        self._sample = sample[:: max(1, sample.size // 12000)]
        self._patch = _patch_rect(region, self.config.patch_size)
        self._window = cv2.createHanningWindow((self._patch[2], self._patch[3]), cv2.CV_32F)
        self._history: list[np.ndarray] = []
        self._join_kernel = np.ones((3, 3), np.uint8)
        self._patch_prev: np.ndarray | None = None
        self._edge_map: np.ndarray | None = None
        self._background: np.ndarray | None = None
        self._frames = 0
        self.last_shift: tuple[float, float] | None = None
        self._shaken_at = -1000

    def reset(self) -> None:
        self._history.clear()
        self._patch_prev = None
        self._background = None

    def detect(self, grey: np.ndarray) -> MotionResult:
        self._frames += 1
        shift = self._shift(grey)
        if shift is not None:
            if np.hypot(*shift) > self.config.max_compensated_px:
                self._restart(grey)
                return MotionResult([], "shake")
            self._compensate(shift)
            self._shaken_at = self._frames
        self.last_shift = shift
        if len(self._history) < 2 or self._background is None:
            self._history.append(grey)
            if self._background is None:
                self._background = np.float32(grey)
            return MotionResult([], "warming")
        prev2, prev1 = self._history
        self._history = [prev1, grey]
        d1 = cv2.absdiff(grey, prev1)
        d2 = cv2.absdiff(grey, prev2)
        background = cv2.convertScaleAbs(self._background)
        d_background = cv2.absdiff(grey, background)
        cv2.accumulateWeighted(grey, self._background, self.config.background_rate)
        threshold = self._threshold(d1)
        # edges of the background, not of a frame (a slow object's own edges would hide it);
        # while shaking, of the last frame, which the background's blur under-estimates
        edges = self._edges(prev1 if self._frames - self._shaken_at < 5 else background)
        c = self.config
        present = cv2.compare(d_background, cv2.add(edges, threshold * c.background_share), cv2.CMP_GT)
        recent = cv2.add(edges, threshold * c.recent_share)
        moving = cv2.bitwise_or(cv2.compare(d1, recent, cv2.CMP_GT), cv2.compare(d2, recent, cv2.CMP_GT))
        moved = cv2.bitwise_and(present, moving)
        moved = cv2.bitwise_and(moved, self.region)
        changed = cv2.countNonZero(moved)
        if changed > self.config.max_changed_fraction * self._region_pixels:
            self._restart(grey)
            return MotionResult([], "changed_area", threshold)
        if changed == 0:
            return MotionResult([], None, threshold)
        return self._blobs(moved, d1, threshold)

    def _restart(self, grey: np.ndarray) -> None:
        self._history = [grey]
        self._edge_map = None
        self._background = np.float32(grey)

    def _threshold(self, diff: np.ndarray) -> float:
        values = diff.ravel()[self._sample]
        p90 = float(np.partition(values, int(values.size * 0.9))[int(values.size * 0.9)])
        c = self.config
        return min(max(c.noise_gain * p90, c.min_threshold), c.max_threshold)

    def _edges(self, grey: np.ndarray) -> np.ndarray:
        shaking = self._frames - self._shaken_at < 5
        if self._edge_map is None or self._frames % self.config.edge_every == 0 or shaking:
            gx = cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3)
            gy = cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3)
            magnitude = cv2.addWeighted(cv2.convertScaleAbs(gx), 0.5, cv2.convertScaleAbs(gy), 0.5, 0)
            # a sharp step S gives |Sobel| = 4S and magnitude ~2S; a shift of g pixels changes it by ~g*S
            gain = self.config.edge_gain * (self.config.shake_edge_factor if shaking else 1.0)
            edge = cv2.convertScaleAbs(magnitude, alpha=gain / 2.0)
            self._edge_map = cv2.dilate(edge, np.ones((3, 3), np.uint8))
        return self._edge_map

    def _shift(self, grey: np.ndarray) -> tuple[float, float] | None:
        """The camera's move since the last frame, when it is beyond the tolerated jitter."""
        x, y, w, h = self._patch
        patch = np.float32(grey[y: y + h, x: x + w])
        previous, self._patch_prev = self._patch_prev, patch
        if previous is None:
            return None
        (dx, dy), response = cv2.phaseCorrelate(previous, patch, self._window)
        if response < self.config.min_shift_response or math.hypot(dx, dy) <= self.config.max_shift_px:
            return None
        return dx, dy

    def _compensate(self, shift: tuple[float, float]) -> None:
        """Move the previous frames and the background onto the current frame's position."""
        matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])

        def move(image: np.ndarray) -> np.ndarray:
            return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE)

        self._history = [move(frame) for frame in self._history]
        if self._background is not None:
            self._background = move(self._background)
        self._edge_map = None

    def _blobs(self, moved: np.ndarray, diff: np.ndarray, threshold: float) -> MotionResult:
        joined = cv2.dilate(moved, self._join_kernel)  # one object's fragments become one contour
        contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if len(contours) > self.config.max_blobs:
            return MotionResult([], "too_many_blobs", threshold)
        c = self.config
        blobs = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w > c.max_blob_side or h > c.max_blob_side:
                continue
            window = diff[y: y + h, x: x + w] * (moved[y: y + h, x: x + w] > 0)
            weight = float(window.sum())
            area = int(np.count_nonzero(window))
            if area > c.max_blob_area or weight <= 0:
                continue
            rows, cols = np.indices(window.shape)
            cx = x + float((cols * window).sum()) / weight
            cy = y + float((rows * window).sum()) / weight
            blobs.append(Blob(cx, cy, area, w, h))
        return MotionResult(blobs, None, threshold)


def _patch_rect(region: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """A square patch centred on the watched region's bounding box, inside the frame."""
    height, width = region.shape
    x, y, w, h = cv2.boundingRect(region) if cv2.countNonZero(region) else (0, 0, width, height)
    side = max(16, min(size, width, height))
    cx, cy = x + w // 2, y + h // 2
    left = min(max(cx - side // 2, 0), width - side)
    top = min(max(cy - side // 2, 0), height - side)
    return left, top, side, side
