"""Things that move in front of a façade and are not thrown objects.

Each distractor has ``draw(frame, index)`` and is drawn before the camera's
own effects (jitter, noise, compression). Scene-wide effects — lights
switching, the IR switch, shake, lighting drift, night noise — live in
:mod:`tests.scenes.render`. ``NAMES`` lists everything a scene can ask for.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

from tests.scenes.facade import Facade
from tests.scenes.objects import draw_streak

#: object distractors (drawn) and scene effects (applied by the renderer)
OBJECTS = ("birds", "leaves", "rain", "snow", "insect", "laundry")
EFFECTS = ("lights", "ir_switch", "shake", "night_noise")
NAMES = OBJECTS + EFFECTS


class Bird:
    """Flies across: straight, gliding down, or swooping; wings flap."""

    def __init__(self, facade: Facade, rng: random.Random, start: int) -> None:
        w, h = facade.spec.size
        self.start = start
        self.size = rng.uniform(4, 12) * w / 1280
        direction = rng.choice([-1, 1])
        self.x0 = -20 if direction > 0 else w + 20
        self.y0 = rng.uniform(0.05, 0.8) * h
        self.vx = direction * rng.uniform(3, 14) * w / 1280
        self.vy = rng.uniform(-2, 4) * h / 720
        self.swoop = rng.uniform(0, 60) * h / 720 if rng.random() < 0.5 else 0.0
        self.flap = rng.uniform(0.3, 0.8)
        self.length = int(abs((w + 40) / self.vx))
        self.contrast = -rng.randint(50, 110)

    def draw(self, frame: np.ndarray, index: int) -> None:
        k = index - self.start
        if not 0 <= k < self.length:
            return
        share = k / self.length
        x = self.x0 + self.vx * k
        y = self.y0 + self.vy * k + self.swoop * math.sin(math.pi * share)
        span = self.size * (0.6 + 0.4 * math.sin(self.flap * k))
        draw_streak(frame, (x - span, y - span * 0.3), (x + span, y - span * 0.3), self.size * 0.5, self.contrast)
        draw_streak(frame, (x, y), (x + 0.1, y), self.size * 0.6, self.contrast)


class Leaf:
    """Flutters down slowly, swaying."""

    def __init__(self, facade: Facade, rng: random.Random, start: int, fps: float) -> None:
        self.facade, self.start, self.fps = facade, start, fps
        self.u0 = rng.uniform(0, facade.width_m)
        self.v0 = rng.uniform(0.4, 1.0) * facade.height_m
        self.fall = rng.uniform(0.6, 2.0)
        self.sway = rng.uniform(0.3, 1.5)
        self.omega = rng.uniform(2, 5)
        self.size = rng.uniform(2, 6) * facade.spec.size[0] / 1280
        self.contrast = rng.choice([-1, 1]) * rng.randint(40, 90)

    def draw(self, frame: np.ndarray, index: int) -> None:
        t = (index - self.start) / self.fps
        v = self.v0 - self.fall * t
        if t < 0 or v < 0:
            return
        u = self.u0 + self.sway * math.sin(self.omega * t)
        draw_streak(frame, self.facade.project(u, v), self.facade.project(u + 0.05, v), self.size, self.contrast)


class Particles:
    """Rain (fast faint streaks) or snow (slow drifting flakes), respawned at the top."""

    def __init__(self, facade: Facade, rng: random.Random, kind: str, count: int) -> None:
        self.w, self.h = facade.spec.size
        self.kind, self.rng = kind, rng
        self.scale = self.w / 1280
        self.items = [self._spawn(rng.uniform(0, self.h)) for _ in range(count)]

    def _spawn(self, y: float) -> list[float]:
        rng, s = self.rng, self.scale
        if self.kind == "rain":
            return [rng.uniform(0, self.w), y, rng.uniform(-3, 3) * s, rng.uniform(18, 45) * s,
                    rng.uniform(1, 2), rng.randint(12, 35)]
        return [rng.uniform(0, self.w), y, rng.uniform(-1, 1) * s, rng.uniform(1, 4) * s,
                rng.uniform(2, 5) * s, rng.randint(40, 90)]

    def draw(self, frame: np.ndarray, index: int) -> None:
        for item in self.items:
            x, y, vx, vy, size, contrast = item
            if self.kind == "snow":
                vx += 0.3 * math.sin(index * 0.2 + y * 0.05)
            end = (x + vx * 0.5, y + vy * 0.5)
            draw_streak(frame, (x, y), end, size, contrast)
            item[0], item[1] = x + vx, y + vy
            if item[1] > self.h:
                item[:] = self._spawn(-10)


class Insect:
    """A fly on the lens: a big blurred blob wandering, sometimes jumping."""

    def __init__(self, facade: Facade, rng: random.Random) -> None:
        w, h = facade.spec.size
        self.rng = rng
        self.x, self.y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        radius = int(rng.uniform(20, 60) * w / 1280)
        size = 4 * radius + 1
        blob = np.zeros((size, size), np.float32)
        cv2.circle(blob, (size // 2, size // 2), radius, 1.0, -1)
        self.blob = cv2.GaussianBlur(blob, (0, 0), radius / 2)
        self.contrast = -rng.uniform(60, 140)
        self.scale = w / 1280

    def draw(self, frame: np.ndarray, index: int) -> None:
        rng = self.rng
        jump = rng.random() < 0.03
        self.x += rng.gauss(0, 40 if jump else 2) * self.scale
        self.y += rng.gauss(0, 40 if jump else 2) * self.scale
        h, w = frame.shape[:2]
        self.x, self.y = min(max(self.x, 0), w - 1), min(max(self.y, 0), h - 1)
        half = self.blob.shape[0] // 2
        left, top = int(self.x) - half, int(self.y) - half
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + self.blob.shape[1], w), min(top + self.blob.shape[0], h)
        alpha = self.blob[y0 - top: y1 - top, x0 - left: x1 - left] * self.contrast
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = np.clip(roi + alpha[..., None], 0, 255).astype(np.uint8)


class Laundry:
    """A cloth hung from a balcony rail, flapping in the wind."""

    def __init__(self, facade: Facade, rng: random.Random) -> None:
        spec = facade.spec
        self.facade = facade
        self.u = rng.uniform(0.5, facade.width_m - 1.5)
        self.v = (rng.randint(2, spec.floors) - 1) * spec.storey_m + 1.1
        self.width = rng.uniform(0.6, 1.4)
        self.drop = rng.uniform(0.6, 1.2)
        self.colour = tuple(rng.randint(40, 230) for _ in range(3))
        self.rate, self.rng = rng.uniform(0.2, 0.6), rng

    def draw(self, frame: np.ndarray, index: int) -> None:
        flap = math.sin(index * self.rate) + 0.3 * self.rng.gauss(0, 1)
        u0, v0 = self.u, self.v
        u1 = u0 + self.width * (0.7 + 0.3 * flap)
        swing = 0.4 * flap
        points = [(u0, v0), (u1, v0), (u1 + swing, v0 - self.drop), (u0 + swing, v0 - self.drop * 0.9)]
        polygon = np.array([[round(c) for c in self.facade.project(u, v)] for u, v in points], np.int32)
        cv2.fillPoly(frame, [polygon], self.colour, cv2.LINE_AA)


def make_distractors(names: tuple[str, ...], facade: Facade, rng: random.Random, frames: int,
                     fps: float) -> list:
    """The drawable distractors a scene asks for, spread over its ``frames``."""
    items: list = []
    for name in names:
        if name == "birds":
            items += [Bird(facade, rng, rng.randrange(frames)) for _ in range(max(1, frames // 40))]
        elif name == "leaves":
            items += [Leaf(facade, rng, rng.randrange(frames), fps) for _ in range(max(1, frames // 25))]
        elif name == "rain":
            items.append(Particles(facade, rng, "rain", rng.randint(60, 200)))
        elif name == "snow":
            items.append(Particles(facade, rng, "snow", rng.randint(60, 250)))
        elif name == "insect":
            items.append(Insect(facade, rng))
        elif name == "laundry":
            items += [Laundry(facade, rng) for _ in range(3)]
        elif name not in EFFECTS:
            raise ValueError(f"unknown distractor {name!r}; known: {', '.join(NAMES)}")
    return items
