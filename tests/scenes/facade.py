"""A residential façade seen from below in perspective: windows, balconies, sky — and its calibration.

The façade is drawn flat in metres (u across, v up from the ground), then
warped into the image by a homography chosen from the seed (keystone from
looking up, some yaw). The same homography gives the ground-truth calibration
the detector is handed: façade outline, floor lines (three points each, so
interpolation is exercised) and a mask over the tree in front of the building.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class FacadeSpec:
    size: tuple[int, int] = (1280, 720)
    floors: int = 12
    columns: int = 6
    storey_m: float = 3.0
    bay_m: float = 3.6
    night: bool = False
    tree: bool = True
    seed: int = 0


@dataclass
class Facade:
    spec: FacadeSpec
    homography: np.ndarray  # (u, v) metres -> image pixels
    background: np.ndarray  # BGR, uint8
    windows: list[np.ndarray] = field(default_factory=list)  # image polygons, int32
    balcony_polygons: list[np.ndarray] = field(default_factory=list)  # where objects behind are hidden
    tree_polygon: np.ndarray | None = None

    @property
    def width_m(self) -> float:
        return self.spec.columns * self.spec.bay_m

    @property
    def height_m(self) -> float:
        return self.spec.floors * self.spec.storey_m

    def project(self, u: float, v: float) -> tuple[float, float]:
        p = self.homography @ np.array([u, v, 1.0])
        return float(p[0] / p[2]), float(p[1] / p[2])

    def window_centre(self, floor: int, column: int) -> tuple[float, float]:
        """Metres (u, v) of the centre of a window's sill line; ``floor`` counts from 1."""
        s = self.spec
        return (column + 0.5) * s.bay_m, (floor - 1) * s.storey_m

    def calibration(self) -> dict:
        w, h = self.spec.size

        def clamp(p: tuple[float, float]) -> list[float]:
            return [round(min(max(p[0], 0.0), w), 2), round(min(max(p[1], 0.0), h), 2)]

        corners = [(0, 0), (self.width_m, 0), (self.width_m, self.height_m), (0, self.height_m)]
        lines = []
        for k in range(1, self.spec.floors):
            v = k * self.spec.storey_m
            lines.append([clamp(self.project(u, v)) for u in (0.0, self.width_m * 0.45, self.width_m)])
        masks = [] if self.tree_polygon is None else [[clamp(tuple(p)) for p in self.tree_polygon.tolist()]]
        return {
            "frame_size": [w, h],
            "facade": [clamp(self.project(u, v)) for u, v in corners],
            "masks": masks,
            "floor_lines": lines,
            "first_floor": 1,
        }


def build_facade(spec: FacadeSpec) -> Facade:
    rng = random.Random(spec.seed)
    w, h = spec.size
    width_m, height_m = spec.columns * spec.bay_m, spec.floors * spec.storey_m
    bottom = h * rng.uniform(0.9, 0.97)
    top = h * rng.uniform(0.04, 0.09)
    left, right = w * rng.uniform(0.12, 0.25), w * rng.uniform(0.75, 0.88)
    keystone = (right - left) * rng.uniform(0.06, 0.16)
    yaw = (right - left) * rng.uniform(-0.05, 0.05)
    source = np.float32([[0, 0], [width_m, 0], [width_m, height_m], [0, height_m]])
    target = np.float32([[left, bottom], [right, bottom + yaw * 0.3],
                         [right - keystone + yaw, top], [left + keystone + yaw, top - yaw * 0.2]])
    homography = cv2.getPerspectiveTransform(source, target)
    facade = Facade(spec, homography, np.zeros((h, w, 3), np.uint8))
    _paint(facade, rng)
    return facade


def _paint(facade: Facade, rng: random.Random) -> None:
    spec = facade.spec
    w, h = spec.size
    image = facade.background
    sky_top, sky_bottom = ((30, 20, 15), (55, 45, 40)) if spec.night else ((235, 200, 150), (250, 235, 215))
    for row in range(h):
        share = row / max(h - 1, 1)
        image[row, :] = [int(a + (b - a) * share) for a, b in zip(sky_top, sky_bottom, strict=True)]
    wall = (60, 62, 66) if spec.night else tuple(rng.randint(150, 200) for _ in range(3))
    corners = [(0, 0), (facade.width_m, 0), (facade.width_m, facade.height_m), (0, facade.height_m)]
    cv2.fillPoly(image, [_poly(facade, corners)], wall)
    slab = tuple(max(0, c - 35) for c in wall)
    for k in range(1, spec.floors + 1):
        v = k * spec.storey_m
        band = [(0, v - 0.25), (facade.width_m, v - 0.25), (facade.width_m, v), (0, v)]
        cv2.fillPoly(image, [_poly(facade, band)], slab)
    balcony_columns = {c for c in range(spec.columns) if rng.random() < 0.4}
    for floor in range(1, spec.floors + 1):
        for column in range(spec.columns):
            _window(facade, floor, column, column in balcony_columns, rng)
    if spec.tree:
        _tree(facade, rng)


def _window(facade: Facade, floor: int, column: int, balcony: bool, rng: random.Random) -> None:
    spec = facade.spec
    u0 = column * spec.bay_m + 0.7
    u1 = (column + 1) * spec.bay_m - 0.7
    v0 = (floor - 1) * spec.storey_m + 0.9
    v1 = v0 + 1.6
    lit = rng.random() < (0.45 if spec.night else 0.1)
    if spec.night:
        colour = (90, 190, 235) if lit else (25, 25, 30)
    else:
        colour = (120, 110, 100) if not lit else (150, 160, 170)
        colour = tuple(c + rng.randint(-15, 15) for c in colour)
    pane = _poly(facade, [(u0, v0), (u1, v0), (u1, v1), (u0, v1)])
    cv2.fillPoly(facade.background, [pane], colour)
    frame = tuple(max(0, c - 50) for c in colour)
    cv2.polylines(facade.background, [pane], True, frame, 1, cv2.LINE_AA)
    facade.windows.append(pane)
    if balcony:
        rail = [(u0 - 0.3, v0 - 0.9), (u1 + 0.3, v0 - 0.9), (u1 + 0.3, v0 + 0.2), (u0 - 0.3, v0 + 0.2)]
        polygon = _poly(facade, rail)
        shade = (40, 40, 45) if spec.night else (110, 115, 120)
        cv2.fillPoly(facade.background, [polygon], shade)
        for k in range(1, 8):
            u = u0 - 0.3 + k * (u1 - u0 + 0.6) / 8
            a, b = facade.project(u, v0 - 0.9), facade.project(u, v0 + 0.2)
            cv2.line(facade.background, _int(a), _int(b), tuple(c + 30 for c in shade), 1, cv2.LINE_AA)
        facade.balcony_polygons.append(polygon)


def _tree(facade: Facade, rng: random.Random) -> None:
    w, h = facade.spec.size
    cx, cy = facade.project(facade.width_m * rng.uniform(0.0, 0.06), facade.spec.storey_m * 1.2)
    radius = 0.09 * h
    colour = (20, 35, 25) if facade.spec.night else (40, 110, 60)
    cv2.circle(facade.background, _int((cx, cy)), int(radius), colour, -1, cv2.LINE_AA)
    cv2.rectangle(facade.background, _int((cx - 4, cy)), _int((cx + 4, h)), (30, 50, 70), -1)
    pad = radius * 1.3
    facade.tree_polygon = np.array([[cx - pad, cy - pad], [cx + pad, cy - pad], [cx + pad, h - 1],
                                    [cx - pad, h - 1]], np.float32).clip(0, [w - 1, h - 1])


def _poly(facade: Facade, points: list[tuple[float, float]]) -> np.ndarray:
    return np.array([_int(facade.project(u, v)) for u, v in points], np.int32)


def _int(p: tuple[float, float]) -> tuple[int, int]:
    return round(p[0]), round(p[1])
