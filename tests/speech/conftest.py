"""Fixtures for speech tests: a real Synthesizer (the wheel's libespeak-ng) that is always closed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.speech import Rendered, Synthesizer, TtsCache

MANDARIN = "3号楼2单元 一键报警"
ENGLISH = "Building three, unit two, emergency alarm"


class CountingSynthesizer(Synthesizer):
    """A real synthesizer that counts its renders, to tell a cache hit from a re-render."""

    def __init__(self) -> None:
        super().__init__()
        self.renders: list[tuple[str, str, int]] = []

    async def render(self, text: str, voice: str = "cmn", rate_wpm: int = 160) -> Rendered:
        self.renders.append((text, voice, rate_wpm))
        return await super().render(text, voice, rate_wpm)


@pytest.fixture
async def synthesizer() -> AsyncIterator[CountingSynthesizer]:
    async with CountingSynthesizer() as tts:
        yield tts


@pytest.fixture
def cache(tmp_path: Path, synthesizer: CountingSynthesizer) -> TtsCache:
    return TtsCache(tmp_path / "tts", synthesizer, max_mb=8)
