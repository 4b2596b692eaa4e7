"""Speech for the broadcasts: the offline synthesizer behind a disk cache, with its life cycle.

The synthesizer (libespeak-ng) starts on the first render, in a worker
thread of its own; ``close`` stops it.
"""

from __future__ import annotations

from pathlib import Path

from edge.speech import Synthesizer, TtsCache


class Speech:
    def __init__(self, directory: Path, cache_mb: int) -> None:
        self._directory = directory
        self._cache_mb = cache_mb
        self._tts: Synthesizer | None = None
        self._cache: TtsCache | None = None

    async def render(self, text: str, voice: str, rate_wpm: int) -> Path:
        if self._cache is None:
            self._tts = Synthesizer()
            self._cache = TtsCache(self._directory, self._tts, max_mb=self._cache_mb)
        return await self._cache.get_or_render(text, voice, rate_wpm)

    async def close(self) -> None:
        if self._tts is not None:
            await self._tts.close()
            self._tts = self._cache = None

    async def __aenter__(self) -> Speech:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
