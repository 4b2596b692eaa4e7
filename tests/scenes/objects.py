"""Thrown and dropped objects: physics with air drag on the façade plane, drawn with motion blur.

A throw starts at a window sill (a hand at the rail), with a small upward or
outward velocity, and falls under gravity with quadratic drag set by the
object's terminal velocity, until it reaches the ground. Its ground truth is
the floor of the window, the release frame and the release point in image
pixels. Objects thrown from a window above a balcony column pass behind the
balconies below, and are hidden there.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import cv2
import numpy as np

from tests.scenes.facade import Facade

G = 9.81


@dataclass
class Throw:
    floor: int
    column: int
    release_frame: int
    size_px: float
    contrast: int  # signed grey levels against the background
    path: list[tuple[float, float]] = field(default_factory=list)  # image (x, y) per frame from release
    hidden_behind_balconies: bool = False
    terminal_ms: float = 0.0  # terminal speed under air drag

    @property
    def release_point(self) -> tuple[float, float]:
        return self.path[0]

    @property
    def end_frame(self) -> int:
        return self.release_frame + len(self.path) - 1

    def truth(self) -> dict:
        return {
            "floor": self.floor, "column": self.column, "release_frame": self.release_frame,
            "end_frame": self.end_frame, "release_point": [round(c, 1) for c in self.release_point],
            "size_px": round(self.size_px, 1), "contrast": self.contrast,
            "path": [[round(x, 1), round(y, 1)] for x, y in self.path],  # image position per frame
        }


def plan_throw(facade: Facade, rng: random.Random, fps: float, release_frame: int, *,
               floor: int | None = None, size_px: float | None = None) -> Throw:
    """A random throw: any window, 1-10 px (unless given), drag from a light to a heavy object."""
    spec = facade.spec
    floor = floor if floor is not None else rng.randint(2, spec.floors)
    column = rng.randrange(spec.columns)
    size = size_px if size_px is not None else rng.uniform(1.0, 10.0)
    contrast = rng.choice([-1, 1]) * rng.randint(45, 110)
    if spec.night:
        contrast = abs(contrast) if rng.random() < 0.7 else -abs(contrast) // 2
    u, v = facade.window_centre(floor, column)
    u += rng.uniform(-0.8, 0.8)
    v += rng.uniform(1.0, 1.7)
    vu, vv = rng.uniform(-2.0, 2.0), rng.uniform(-0.5, 2.2)
    if column in (0, spec.columns - 1):  # thrown out from the wall, not off its side into the sky
        vu = abs(vu) if column == 0 else -abs(vu)
    terminal = rng.uniform(15.0, 60.0)
    throw = Throw(floor, column, release_frame, size, contrast, terminal_ms=terminal)
    throw.path = _fly(facade, u, v, vu, vv, terminal, fps)
    throw.hidden_behind_balconies = rng.random() < 0.5
    return throw


def _fly(facade: Facade, u: float, v: float, vu: float, vv: float, terminal: float,
         fps: float) -> list[tuple[float, float]]:
    path = [facade.project(u, v)]
    steps = 8
    dt = 1.0 / (fps * steps)
    k = G / (terminal * terminal)
    while v > 0 and len(path) < fps * 8:
        for _ in range(steps):
            speed = math.hypot(vu, vv)
            vu += -k * speed * vu * dt
            vv += (-G - k * speed * vv) * dt
            u += vu * dt
            v += vv * dt
        path.append(facade.project(u, v))
    return path


def draw_throw(frame: np.ndarray, throw: Throw, index: int, hidden: np.ndarray | None) -> None:
    """Draw the object as frame ``index`` sees it: a streak over half a frame's exposure."""
    step = index - throw.release_frame
    if step < 0 or step >= len(throw.path):
        return
    x1, y1 = throw.path[step]
    x0, y0 = throw.path[step - 1] if step > 0 else (x1, y1)
    xa, ya = (x0 + x1) / 2, (y0 + y1) / 2  # exposure: the second half of the frame interval
    if throw.hidden_behind_balconies and hidden is not None:
        h, w = hidden.shape
        xi, yi = int(x1), int(y1)
        if 0 <= xi < w and 0 <= yi < h and hidden[yi, xi]:
            return
    draw_streak(frame, (xa, ya), (x1, y1), throw.size_px, throw.contrast)


def draw_streak(frame: np.ndarray, a: tuple[float, float], b: tuple[float, float], size: float,
                contrast: float) -> None:
    """Blend a blurred streak of width ``size`` and signed ``contrast`` into ``frame`` (in place)."""
    h, w = frame.shape[:2]
    pad = int(size) + 3
    left, top = int(min(a[0], b[0])) - pad, int(min(a[1], b[1])) - pad
    right, bottom = int(max(a[0], b[0])) + pad + 1, int(max(a[1], b[1])) + pad + 1
    if right <= 0 or bottom <= 0 or left >= w or top >= h:
        return
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(right, w), min(bottom, h)
    canvas = np.zeros((bottom - top, right - left), np.uint8)
    scale = 16
    pa = (round((a[0] - left) * scale), round((a[1] - top) * scale))
    pb = (round((b[0] - left) * scale), round((b[1] - top) * scale))
    thickness = max(1, round(size))
    cv2.line(canvas, pa, pb, 255, thickness, cv2.LINE_AA, shift=4)
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    energy = min(1.0, size) * size / (size + length)  # motion blur spreads the same light thinner
    alpha = canvas[y0 - top: y1 - top, x0 - left: x1 - left].astype(np.float32) * (energy / 255.0)
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    change = (alpha * contrast)[..., None] if roi.ndim == 3 else alpha * contrast
    frame[y0:y1, x0:x1] = np.clip(roi + change, 0, 255).astype(np.uint8)
