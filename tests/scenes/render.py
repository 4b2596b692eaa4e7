"""Render a façade scene, frame by frame, with ground truth; or write it as a compressed video.

A :class:`SceneSpec` names everything (size, fps, length, day or night,
throws, distractors, seed); :func:`build_scene` plans it and
:func:`render_frames` draws it: the lit façade with lighting drift, window
lights switching, distractors and throws, then the camera — jitter and gusts,
the IR switch, sensor noise — and, in :func:`write_video`, MPEG-4 compression.
The same seed always gives the same video.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tests.scenes.distractors import make_distractors
from tests.scenes.facade import Facade, FacadeSpec, build_facade
from tests.scenes.objects import Throw, draw_throw, plan_throw


@dataclass(frozen=True)
class SceneSpec:
    size: tuple[int, int] = (640, 360)
    fps: float = 25.0
    seconds: float = 4.0
    night: bool = False
    floors: int = 12
    throws: int = 1
    throw_floor: int | None = None  # every throw from this floor (default: random)
    throw_size_px: float | None = None  # in pixels of a 1280-wide frame (default: random 1-10)
    distractors: tuple[str, ...] = ()
    noise: float | None = None  # sensor noise sigma (default: 2 by day, 7 by night)
    jitter_px: float = 0.1  # continuous camera jitter, pixels of a 1280-wide frame
    seed: int = 0

    @property
    def frames(self) -> int:
        return round(self.seconds * self.fps)


@dataclass
class Scene:
    spec: SceneSpec
    facade: Facade
    throws: list[Throw]
    distractors: list = field(default_factory=list)
    light_switches: list[tuple[int, int, tuple[int, int, int]]] = field(default_factory=list)
    ir_switch_frame: int | None = None
    gusts: list[tuple[int, int, float]] = field(default_factory=list)  # start, length, amplitude

    def calibration(self) -> dict:
        return self.facade.calibration()

    def truth(self) -> list[dict]:
        return [t.truth() for t in self.throws]


def build_scene(spec: SceneSpec) -> Scene:
    rng = random.Random(spec.seed)
    floors = spec.floors
    facade = build_facade(FacadeSpec(size=spec.size, floors=floors, night=spec.night, seed=spec.seed,
                                     columns=rng.randint(4, 7), tree=spec.seed % 3 == 0))
    scene = Scene(spec, facade, [])
    scale = spec.size[0] / 1280
    for k in range(spec.throws):
        share = (k + rng.uniform(0.05, 0.25)) / max(spec.throws, 1)
        size = spec.throw_size_px * scale if spec.throw_size_px else None
        start = int(share * spec.frames * 0.6) + 3
        throw = plan_throw(facade, rng, spec.fps, start, floor=spec.throw_floor, size_px=size)
        throw.size_px = max(throw.size_px * (scale if size is None else 1.0), 0.6)
        scene.throws.append(throw)
    scene.distractors = make_distractors(spec.distractors, facade, rng, spec.frames, spec.fps)
    if "lights" in spec.distractors:
        for _ in range(max(2, spec.frames // 15)):
            on = rng.random() < 0.5
            colour = (90, 190, 235) if on else (25, 25, 30)
            if not spec.night:
                colour = (200, 210, 220) if on else (100, 95, 90)
            scene.light_switches.append((rng.randrange(spec.frames), rng.randrange(len(facade.windows)), colour))
    if "ir_switch" in spec.distractors:
        scene.ir_switch_frame = rng.randrange(spec.frames // 4, 3 * spec.frames // 4)
    if "shake" in spec.distractors:
        for _ in range(max(1, spec.frames // 60)):
            scene.gusts.append((rng.randrange(spec.frames), rng.randint(10, 40), rng.uniform(0.8, 4.0) * scale))
    return scene


def render_frames(scene: Scene) -> Iterator[np.ndarray]:
    """Every frame of the scene, BGR uint8, in order."""
    spec = scene.spec
    rng = np.random.default_rng(spec.seed)
    w, h = spec.size
    background = scene.facade.background.copy()
    hidden = np.zeros((h, w), np.uint8)
    cv2.fillPoly(hidden, scene.facade.balcony_polygons, 1)
    sigma = spec.noise if spec.noise is not None else (7.0 if spec.night else 2.0)
    if "night_noise" in spec.distractors:
        sigma = max(sigma, 10.0)
    noise_bank = _noise_bank(rng, (h, w), sigma)
    switches = sorted(scene.light_switches)
    drift_period, drift_amplitude = rng.uniform(4, 12), rng.uniform(0.02, 0.08)
    for index in range(spec.frames):
        while switches and switches[0][0] <= index:
            _, window, colour = switches.pop(0)
            cv2.fillPoly(background, [scene.facade.windows[window]], colour)
        gain = 1.0 + drift_amplitude * math.sin(2 * math.pi * index / (spec.fps * drift_period))
        frame = cv2.convertScaleAbs(background, alpha=gain)
        for item in scene.distractors:
            item.draw(frame, index)
        for throw in scene.throws:
            draw_throw(frame, throw, index, hidden)
        frame = _camera(scene, frame, index, rng)
        yield _add_noise(frame, noise_bank, rng)


def _camera(scene: Scene, frame: np.ndarray, index: int, rng: np.random.Generator) -> np.ndarray:
    spec = scene.spec
    scale = spec.size[0] / 1280
    dx, dy = rng.normal(0, spec.jitter_px * scale, 2)
    for start, length, amplitude in scene.gusts:
        if start <= index < start + length:
            phase = (index - start) / spec.fps * 2 * math.pi * 3
            dx += amplitude * math.sin(phase)
            dy += 0.5 * amplitude * math.cos(phase * 1.3)
    if abs(dx) > 0.02 or abs(dy) > 0.02:
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        frame = cv2.warpAffine(frame, matrix, spec.size, borderMode=cv2.BORDER_REPLICATE)
    if scene.ir_switch_frame is not None and index >= scene.ir_switch_frame:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        frame = cv2.cvtColor(cv2.convertScaleAbs(grey, alpha=1.6, beta=25), cv2.COLOR_GRAY2BGR)
    return frame


def _noise_bank(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative parts of a noise field bigger than a frame; frames take random crops."""
    h, w = shape
    field_ = rng.normal(0, sigma, (h + 64, w + 64)).astype(np.float32)
    field_ = np.repeat(field_[..., None], 3, axis=2)
    positive = np.clip(field_, 0, 255).astype(np.uint8)
    negative = np.clip(-field_, 0, 255).astype(np.uint8)
    return positive, negative


def _add_noise(frame: np.ndarray, bank: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    h, w = frame.shape[:2]
    ox, oy = (int(v) for v in rng.integers(0, 64, 2))
    positive, negative = bank[0][oy: oy + h, ox: ox + w], bank[1][oy: oy + h, ox: ox + w]
    return cv2.subtract(cv2.add(frame, positive), negative)


def write_video(scene: Scene, path: Path) -> Path:
    """Render the scene into an MPEG-4 file (with its compression artefacts); returns ``path``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), scene.spec.fps, scene.spec.size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    try:
        for frame in render_frames(scene):
            writer.write(frame)
    finally:
        writer.release()
    return path


def write_scene(spec: SceneSpec, directory: Path, name: str = "scene") -> tuple[Path, Path, list[dict]]:
    """Video, calibration JSON and ground truth for ``spec`` in ``directory``."""
    scene = build_scene(spec)
    video = write_video(scene, directory / f"{name}.mp4")
    calibration = directory / f"{name}.calibration.json"
    calibration.write_text(json.dumps(scene.calibration()))
    return video, calibration, scene.truth()
