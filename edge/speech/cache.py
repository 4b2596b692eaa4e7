"""Rendered speech kept on disk: ``await TtsCache(dir, tts).get_or_render(text, voice, rate)`` → a WAV path.

A file is named by the sha256 of (text, voice, rate, engine version, format),
so a new espeak-ng or a new WAV layout never serves an old clip. Files are
written atomically (``edge.durable_files``): a power cut leaves no half WAV.
The directory is kept under ``max_mb`` by deleting the least recently used
files (a hit touches its file's mtime). Concurrent asks for one key render
it once. All file work runs in a thread, off the event loop.

The signature of ``get_or_render`` is the ``Render`` callable that
``edge.broadcast`` takes: (text, voice, rate_wpm) -> Awaitable[Path].
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge.durable_files import write_atomically
from edge.speech.tts import Synthesizer, check_request

CACHE_FORMAT = "wav-16bit-mono/1"  # change when what is stored changes
STALE_TMP_S = 3600.0  # a temporary file this old was left by a crash


@dataclass
class CacheStats:
    hits: int = 0  # served from disk, or from a render another caller was already doing
    misses: int = 0  # rendered
    evictions: int = 0


@dataclass
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def _touch(path: Path) -> bool:
    """Mark ``path`` as just used; False if it is not there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _evict(directory: Path, max_bytes: int, keep: Path) -> int:
    """Delete the least recently used WAVs until the rest fit in ``max_bytes``; never ``keep``."""
    entries = []
    for path in directory.glob("*.wav"):
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        entries.append((status.st_mtime_ns, path, status.st_size))
    total = sum(size for _, _, size in entries)
    removed = 0
    for _, path, size in sorted(entries):
        if total <= max_bytes:
            break
        if path != keep:
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
    return removed


def _sweep_tmp(directory: Path) -> None:
    cutoff = time.time() - STALE_TMP_S
    for path in directory.glob(".*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue


class TtsCache:
    """A bounded directory of rendered WAVs in front of a ``Synthesizer`` (which it does not close)."""

    def __init__(self, directory: Path | str, synthesizer: Synthesizer, *, max_mb: float = 64) -> None:
        if max_mb <= 0:
            raise ValueError(f"max_mb must be positive, not {max_mb}")
        self.directory = Path(directory).absolute()
        self.stats = CacheStats()
        self._synthesizer = synthesizer
        self._max_bytes = int(max_mb * 1024 * 1024)
        self._engine_version: str | None = None
        self._keys: dict[str, _KeyLock] = {}

    async def get_or_render(self, text: str, voice: str = "cmn", rate_wpm: int = 160) -> Path:
        """The cached WAV for this text, rendered first if it is not on disk."""
        check_request(text, rate_wpm)
        key = await self.key(text, voice, rate_wpm)
        entry = self._keys.setdefault(key, _KeyLock())
        entry.users += 1
        try:
            async with entry.lock:
                return await self._hit_or_fill(text, voice, rate_wpm, self.directory / f"{key}.wav")
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._keys[key]

    async def key(self, text: str, voice: str, rate_wpm: int) -> str:
        if self._engine_version is None:
            self._engine_version = (await self._synthesizer.engine_info()).version
        identity = [CACHE_FORMAT, self._engine_version, voice.strip().lower(), rate_wpm, text]
        return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()

    async def _hit_or_fill(self, text: str, voice: str, rate_wpm: int, path: Path) -> Path:
        if await asyncio.to_thread(_touch, path):
            self.stats.hits += 1
            return path
        rendered = await self._synthesizer.render(text, voice, rate_wpm)
        self.stats.misses += 1
        self.stats.evictions += await asyncio.to_thread(self._store, path, rendered.wav)
        return path

    def _store(self, path: Path, wav: bytes) -> int:
        """Write one WAV, then make room; the number of files evicted."""
        write_atomically(path, wav, mode=0o644)  # makes the directory if need be
        _sweep_tmp(self.directory)
        return _evict(self.directory, self._max_bytes, keep=path)
