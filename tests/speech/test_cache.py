"""TtsCache: a hit is a file on disk and no render; keys, eviction and atomic writes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from edge.speech import TtsCache, UnknownVoiceError
from tests.speech.audio import assert_speech
from tests.speech.conftest import ENGLISH, MANDARIN, CountingSynthesizer


async def test_second_ask_is_a_hit_with_the_same_path(cache: TtsCache, synthesizer: CountingSynthesizer) -> None:
    first = await cache.get_or_render(MANDARIN, "cmn", 160)
    second = await cache.get_or_render(MANDARIN, "cmn", 160)
    assert second == first
    assert first.parent == cache.directory and first.suffix == ".wav" and len(first.stem) == 64
    assert_speech(first.read_bytes(), 22050)
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert len(synthesizer.renders) == 1


async def test_voice_rate_and_text_are_separate_entries(cache: TtsCache,
                                                        synthesizer: CountingSynthesizer) -> None:
    paths = {
        await cache.get_or_render(MANDARIN, "cmn", 160),
        await cache.get_or_render(MANDARIN, "en", 160),
        await cache.get_or_render(MANDARIN, "cmn", 200),
        await cache.get_or_render(ENGLISH, "cmn", 160),
    }
    assert len(paths) == 4 and len(synthesizer.renders) == 4
    assert sorted(p.name for p in cache.directory.iterdir()) == sorted(p.name for p in paths)


async def test_voice_spelling_does_not_split_entries(cache: TtsCache) -> None:
    assert await cache.get_or_render(MANDARIN, "cmn", 160) == await cache.get_or_render(MANDARIN, " CMN", 160)


async def test_cache_survives_a_new_instance(tmp_path: Path, cache: TtsCache,
                                             synthesizer: CountingSynthesizer) -> None:
    path = await cache.get_or_render(MANDARIN, "cmn", 160)
    again = TtsCache(cache.directory, synthesizer)
    assert await again.get_or_render(MANDARIN, "cmn", 160) == path
    assert again.stats.hits == 1 and len(synthesizer.renders) == 1


async def test_concurrent_asks_for_one_text_render_once(cache: TtsCache,
                                                        synthesizer: CountingSynthesizer) -> None:
    paths = await asyncio.gather(*(cache.get_or_render(MANDARIN, "cmn", 160) for _ in range(20)))
    assert len(set(paths)) == 1
    assert len(synthesizer.renders) == 1
    assert (cache.stats.hits, cache.stats.misses) == (19, 1)


async def test_least_recently_used_is_evicted(tmp_path: Path, synthesizer: CountingSynthesizer) -> None:
    one = await synthesizer.render(MANDARIN)
    small = TtsCache(tmp_path / "small", synthesizer, max_mb=2.5 * len(one.wav) / 2**20)  # room for two
    a = await small.get_or_render(MANDARIN, "cmn", 160)
    b = await small.get_or_render(MANDARIN, "cmn", 170)
    os.utime(a, ns=(time.time_ns() - 10**9,) * 2)
    os.utime(b, ns=(time.time_ns() - 2 * 10**9,) * 2)
    assert await small.get_or_render(MANDARIN, "cmn", 160) == a  # a hit makes `a` the newest
    c = await small.get_or_render(MANDARIN, "cmn", 180)
    assert a.exists() and c.exists() and not b.exists()
    assert small.stats.evictions == 1


async def test_a_clip_larger_than_the_cache_is_still_served(tmp_path: Path,
                                                            synthesizer: CountingSynthesizer) -> None:
    tiny = TtsCache(tmp_path / "tiny", synthesizer, max_mb=0.001)
    path = await tiny.get_or_render(MANDARIN, "cmn", 160)
    assert_speech(path.read_bytes(), 22050)


async def test_writes_leave_no_temporary_files_and_stale_ones_are_swept(cache: TtsCache) -> None:
    cache.directory.mkdir(parents=True)
    stale = cache.directory / ".old.wav.x1.tmp"
    fresh = cache.directory / ".new.wav.x2.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    await cache.get_or_render(ENGLISH, "en", 160)
    assert not stale.exists() and fresh.exists()  # `fresh` may be another writer's, mid-write
    assert [p.suffix for p in cache.directory.glob("*.wav")] == [".wav"]


async def test_bad_requests_raise_and_store_nothing(cache: TtsCache) -> None:
    with pytest.raises(ValueError, match="empty"):
        await cache.get_or_render("", "cmn", 160)
    with pytest.raises(UnknownVoiceError):
        await cache.get_or_render(MANDARIN, "martian", 160)
    assert not cache.directory.exists() or not any(cache.directory.iterdir())
    assert cache.stats.misses == 0


def test_max_mb_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_mb"):
        TtsCache(tmp_path, synthesizer=None, max_mb=0)  # type: ignore[arg-type]
