"""Face work in a pool of worker processes, so the event loop never waits on dlib.

Each worker process loads the models once (in the pool's initializer) and
keeps one :class:`FaceEngine`. BLAS and OpenMP are held to one thread per
worker: on a 2-core box a multi-threaded matrix product under load is slower,
and the daemon's other work needs the second core. Workers are started with
``spawn`` (forking a process that runs threads and an event loop is unsafe).

``FaceWorkers`` is the daemon's; ``InlineFaces`` runs the same engine in one
thread of this process, for the command line and tests that want no start-up
cost. Both offer the same two coroutines, ``analyze`` and ``encode_photo``.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.vision.faces.engine import Box, DetectSettings, FaceEngine, FaceFound, Roi
from edge.vision.faces.models import load_models

_PR_SET_PDEATHSIG = 1
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_engine: FaceEngine | None = None  # one per worker process


class WorkerLost(RuntimeError):
    """A worker process died mid-job (killed, out of memory, a crash in dlib); the pool was replaced."""


class PhotoError(ValueError):
    """A photo that cannot be enrolled; the message says why, for the person who sent it."""


class FaceAnalyzer(Protocol):
    async def analyze(
        self, image: np.ndarray, *, detail: np.ndarray | None = None, roi: Roi | None = None, skip: tuple[Box, ...] = (),
    ) -> list[FaceFound]: ...

    async def encode_photo(self, data: bytes) -> FaceFound: ...


class FaceWorkers:
    def __init__(self, settings: DetectSettings, workers: int = 1, models_dir: Path | None = None) -> None:
        self._settings, self._workers, self._models_dir = settings, workers, models_dir
        self._pool: ProcessPoolExecutor | None = None
        self._replacing = asyncio.Lock()
        self.restarts = 0

    async def start(self) -> None:
        """Start the workers and wait until each has loaded the models (FaceModelsError if one cannot).

        A worker that dies later (see :class:`WorkerLost`) is replaced by the job that notices.
        """
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            self._workers, mp_context=context, initializer=_load_engine, initargs=(self._settings, self._models_dir),
        )
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(self._pool, _ready) for _ in range(self._workers)))
        except BaseException:
            await self.close()
            raise

    async def analyze(
        self, image: np.ndarray, *, detail: np.ndarray | None = None, roi: Roi | None = None, skip: tuple[Box, ...] = (),
    ) -> list[FaceFound]:
        return await self._submit(_analyze, image, detail, roi, skip)

    async def encode_photo(self, data: bytes) -> FaceFound:
        return await self._submit(_encode_photo, data)

    async def _submit(self, function, *args):
        pool = self._pool
        assert pool is not None, "start() first"
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            await self._replace(pool)
            raise WorkerLost("a face worker process died; the workers were restarted") from None

    async def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Start fresh workers in place of a broken pool, once however many jobs saw it break."""
        async with self._replacing:
            if self._pool is not broken:
                return  # another job already replaced it
            self._pool = None
            await asyncio.to_thread(broken.shutdown, wait=True, cancel_futures=True)
            self.restarts += 1
            await self.start()

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


class InlineFaces:
    """The engine in this process, one call at a time in a worker thread."""

    def __init__(self, settings: DetectSettings, models_dir: Path | None = None) -> None:
        self.engine = FaceEngine(load_models(models_dir), settings)
        self._lock = asyncio.Lock()

    async def analyze(
        self, image: np.ndarray, *, detail: np.ndarray | None = None, roi: Roi | None = None, skip: tuple[Box, ...] = (),
    ) -> list[FaceFound]:
        async with self._lock:
            return await asyncio.to_thread(self.engine.analyze, image, detail=detail, roi=roi, skip=skip)

    async def encode_photo(self, data: bytes) -> FaceFound:
        async with self._lock:
            return await asyncio.to_thread(encode_photo, self.engine, data)


def decode_photo(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoError("not an image OpenCV can read")
    return image


def encode_photo(engine: FaceEngine, data: bytes | np.ndarray) -> FaceFound:
    """The one face of an enrollment photo, encoded; PhotoError when there is none, several, or a poor one."""
    image = decode_photo(data) if isinstance(data, bytes) else data
    faces = engine.encode_image(image)
    if not faces:
        raise PhotoError("no face found")
    if len(faces) > 1:
        raise PhotoError(f"{len(faces)} faces found; an enrollment photo must show one person")
    face = faces[0]
    if face.encoding is None:
        problem = face.quality.problem if face.quality is not None else "not encoded"
        raise PhotoError(f"face not usable: {problem}")
    return face


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the daemon dies, however it dies (SIGKILL included):
    an orphaned worker would hold the models' memory and the daemon's stdout and stderr."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own shutdown still ends the workers on a clean stop
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)


def _load_engine(settings: DetectSettings, models_dir: Path | None) -> None:
    global _engine
    _die_with_parent()
    for name in _THREAD_VARS:
        os.environ[name] = "1"
    cv2.setNumThreads(1)
    _engine = FaceEngine(load_models(models_dir), settings)


def _ready() -> bool:
    return _engine is not None


def _analyze(image: np.ndarray, detail: np.ndarray | None, roi: Roi | None, skip: tuple[Box, ...]) -> list[FaceFound]:
    assert _engine is not None
    return _engine.analyze(image, detail=detail, roi=roi, skip=skip)


def _encode_photo(data: bytes) -> FaceFound:
    assert _engine is not None
    return encode_photo(_engine, data)
