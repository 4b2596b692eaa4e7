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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

#: where followed objects are expected this frame: (x, y, radius), asked for only when needed
Watch = Callable[[], list[tuple[float, float, float]]]


@dataclass(frozen=True)
class MotionConfig:
    noise_gain: float = 2.6  # threshold = gain x the 90th percentile of |difference| (about 4.3 sigma)
    noise_frames: int = 5  # the noise level is the median of this many frames' estimates
    min_threshold: int = 7
    max_threshold: int = 60
    edge_gain: float = 0.35  # camera jitter tolerated, in working pixels: threshold += gain x edge step
    edge_every: int = 10  # frames between gradient-map refreshes
    max_changed_fraction: float = 0.015
    max_blobs: int = 25  # more than this is clutter: only blobs near followed objects are kept
    max_cluttered_blobs: int = 400  # more than this and the frame is skipped outright
    max_blob_side: int = 16  # working pixels
    max_blob_area: int = 90
    max_shift_px: float = 0.5  # working pixels between consecutive frames before compensating
    max_compensated_px: float = 3.0  # beyond this the frame is skipped and the history restarted
    min_shift_response: float = 0.3  # phase-correlation peaks below this are noise, not shake
    shake_edge_factor: float = 2.0  # while compensating (the background is blurred), edges need more
    background_rate: float = 0.05  # running-average background: where an object is now, not was
    background_share: float = 0.8  # of the threshold, for differing from the background
    recent_share: float = 0.5  # of the threshold, for having changed in the last two frames
    patch_size: int = 128  # side of each of the four patches shake is measured on
    offset_decay: float = 0.97  # per frame: a mount shaken by a gust returns to rest
    min_offset_px: float = 0.25  # smaller moves are jitter (or measuring noise), not added to the offset
    shift_agreement_px: float = 0.4  # the patches' moves must agree this well to be the camera's


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
        self._patches = _patch_rects(region, self.config.patch_size)
        side = self._patches[0][2]
        self._window = cv2.createHanningWindow((side, side), cv2.CV_32F)
        self._history: list[np.ndarray] = []
        self._noise: deque[float] = deque(maxlen=self.config.noise_frames)
        self._join_kernel = np.ones((3, 3), np.uint8)
        self._patch_prev: list[np.ndarray] | None = None
        self._edge_map: np.ndarray | None = None
        self._background: np.ndarray | None = None
        self._young: np.ndarray | None = None  # pixels whose background restarted recently
        self._young_age = 0
        self._refresh_kernel = np.ones((9, 9), np.uint8)
        self._frames = 0
        self.last_shift: tuple[float, float] | None = None
        #: where the camera's image has moved to (shake), decaying back to rest; blobs are reported
        #: net of it, so a track does not wobble with the camera
        self.offset = (0.0, 0.0)
        self._shaken_at = -1000

    def reset(self) -> None:
        self._history.clear()
        self._patch_prev = None
        self._background = None
        self._young = None

    def detect(self, grey: np.ndarray, watch: Watch | None = None) -> MotionResult:
        """The blobs that moved in ``grey``. ``watch`` gives (x, y, radius) where followed objects
        are expected; it is asked only for a cluttered frame (rain, a compression burst), where
        only blobs there are kept."""
        self._frames += 1
        shift = self._shift(grey)
        decay = self.config.offset_decay
        self.offset = (self.offset[0] * decay, self.offset[1] * decay)
        if shift is not None and np.hypot(*shift) > self.config.min_offset_px:
            self.offset = (self.offset[0] + shift[0], self.offset[1] + shift[1])
            if np.hypot(*shift) > self.config.max_compensated_px:
                self._restart(grey)
                return MotionResult([], "shake")
            if np.hypot(*shift) > self.config.max_shift_px:
                self._compensate(shift)
                self._shaken_at = self._frames
        self.last_shift = shift
        if len(self._history) < 2 or self._background is None:
            self._history.append(grey)
            if self._background is None:
                self._restart(grey)
            return MotionResult([], "warming")
        prev2, prev1 = self._history
        self._history = [prev1, grey]
        d1 = cv2.absdiff(grey, prev1)
        d2 = cv2.absdiff(grey, prev2)
        background = cv2.convertScaleAbs(self._background)
        d_background = cv2.absdiff(grey, background)
        threshold = self._threshold(d1)
        # edges of the background, not of a frame: a slow object's own edges would hide it
        edges = self._edges(background)
        c = self.config
        required = cv2.add(edges, threshold * c.background_share)
        if self._young is not None:  # a background of few frames is noisier: ask more of it there
            extra = threshold * c.background_share * (math.sqrt(1 + 1 / self._young_age) - 1)
            cv2.add(required, extra, dst=required, mask=self._young)
        self._learn(grey)
        present = cv2.compare(d_background, required, cv2.CMP_GT)
        recent = cv2.add(edges, threshold * c.recent_share)
        moving = cv2.bitwise_or(cv2.compare(d1, recent, cv2.CMP_GT), cv2.compare(d2, recent, cv2.CMP_GT))
        moved = cv2.bitwise_and(present, moving)
        moved = cv2.bitwise_and(moved, self.region)
        changed = cv2.countNonZero(moved)
        if changed > self.config.max_changed_fraction * self._region_pixels:
            self._restart(grey, cv2.dilate(moved, self._refresh_kernel))
            return MotionResult([], "changed_area", threshold)
        if changed == 0:
            return MotionResult([], None, threshold)
        return self._blobs(moved, d1, threshold, watch or list)

    def _learn(self, grey: np.ndarray) -> None:
        """Update the running-average background; freshly restarted pixels average their first
        frames equally (1/n), so a restart is not followed by seconds of noise."""
        assert self._background is not None
        rate = self.config.background_rate
        if self._young is None:
            cv2.accumulateWeighted(grey, self._background, rate)
            return
        self._young_age += 1
        cv2.accumulateWeighted(grey, self._background, rate, mask=cv2.bitwise_not(self._young))
        cv2.accumulateWeighted(grey, self._background, 1.0 / self._young_age, mask=self._young)
        if 1.0 / self._young_age <= rate:
            self._young = None

    def _restart(self, grey: np.ndarray, where: np.ndarray | None = None) -> None:
        """Begin the background again from ``grey``: everywhere, or only ``where`` (a mask) changed."""
        self._edge_map = None
        if where is None or self._background is None or len(self._history) < 2:
            self._history = [grey]
            self._background = np.float32(grey)
            self._young = np.full(grey.shape, 255, np.uint8)
        else:
            for frame in self._history:
                cv2.copyTo(grey, where, frame)
            cv2.copyTo(np.float32(grey), where, self._background)
            self._young = where if self._young is None else cv2.bitwise_or(self._young, where)
        self._young_age = 1

    def _threshold(self, diff: np.ndarray) -> float:
        """From the noise of the last few frames: a median, as a compressed stream's key frames
        are noisier for one frame, and one frame's spike should not blind the next ones."""
        values = diff.ravel()[self._sample]
        self._noise.append(float(np.partition(values, int(values.size * 0.9))[int(values.size * 0.9)]))
        c = self.config
        return min(max(c.noise_gain * float(np.median(self._noise)), c.min_threshold), c.max_threshold)

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
        """The camera's move since the last frame, or None when the patches do not agree on one.

        Measured on four façade patches: the camera moves them all alike, while a
        falling object or an insect moves one, and must not be taken for shake.
        """
        patches = [np.float32(grey[y: y + h, x: x + w]) for x, y, w, h in self._patches]
        previous, self._patch_prev = self._patch_prev, patches
        if previous is None:
            return None
        c = self.config
        moves = []
        for before, now in zip(previous, patches, strict=True):
            # copies: OpenCV 5.0's phaseCorrelate multiplies its inputs by the window in place,
            # and the patch is needed again, unwindowed, as the next frame's "before"
            (dx, dy), response = cv2.phaseCorrelate(before.copy(), now.copy(), self._window)
            if response >= c.min_shift_response:
                moves.append((dx, dy))
        if len(moves) < 2:
            return None
        dx, dy = (float(v) for v in np.median(np.array(moves), axis=0))
        if max(math.hypot(mx - dx, my - dy) for mx, my in moves) > c.shift_agreement_px:
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

    def _blobs(self, moved: np.ndarray, diff: np.ndarray, threshold: float, watch: Watch) -> MotionResult:
        joined = cv2.dilate(moved, self._join_kernel)  # one object's fragments become one contour
        contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cluttered = len(contours) > self.config.max_blobs
        if cluttered:  # only near where a followed object is expected: no new tracks in clutter
            expected = watch() if len(contours) <= self.config.max_cluttered_blobs else []
            if not expected:
                return MotionResult([], "too_many_blobs", threshold)
            contours = [k for k in contours if _near(cv2.boundingRect(k), expected)]
        blobs = [b for b in (self._measure(k, moved, diff) for k in contours) if b is not None]
        return MotionResult(blobs, "too_many_blobs" if cluttered else None, threshold)

    def _measure(self, contour: np.ndarray, moved: np.ndarray, diff: np.ndarray) -> Blob | None:
        c = self.config
        x, y, w, h = cv2.boundingRect(contour)
        if w > c.max_blob_side or h > c.max_blob_side:
            return None
        window = diff[y: y + h, x: x + w] * (moved[y: y + h, x: x + w] > 0)
        weight = float(window.sum())
        area = int(np.count_nonzero(window))
        if area > c.max_blob_area or weight <= 0:
            return None
        rows, cols = np.indices(window.shape)
        cx = x + float((cols * window).sum()) / weight
        cy = y + float((rows * window).sum()) / weight
        return Blob(cx - self.offset[0], cy - self.offset[1], area, w, h)


def _near(rect: tuple[int, int, int, int], watch: list[tuple[float, float, float]]) -> bool:
    x, y, w, h = rect
    cx, cy = x + w / 2, y + h / 2
    return any(math.hypot(cx - wx, cy - wy) <= radius for wx, wy, radius in watch)


def _patch_rects(region: np.ndarray, size: int) -> list[tuple[int, int, int, int]]:
    """Four square patches, one centred in each quarter of the watched region's bounding box."""
    height, width = region.shape
    x, y, w, h = cv2.boundingRect(region) if cv2.countNonZero(region) else (0, 0, width, height)
    side = max(16, min(size, w // 2, h // 2, width, height))
    rects = []
    for cx in (x + w // 4, x + 3 * w // 4):
        for cy in (y + h // 4, y + 3 * h // 4):
            left = min(max(cx - side // 2, 0), width - side)
            top = min(max(cy - side // 2, 0), height - side)
            rects.append((left, top, side, side))
    return rects
