"""One worker thread, one engine: many renders at once are serialized, and the event loop keeps ticking."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from edge.speech import Synthesizer
from edge.speech.espeak import EspeakEngine
from edge.speech.tts import MAX_TEXT_CHARS, WORKER_NAME
from tests.speech.audio import assert_speech
from tests.speech.conftest import ENGLISH, MANDARIN, CountingSynthesizer


class EngineWatch:
    """Wraps EspeakEngine.synthesize: how many threads were inside at once, and which threads."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.threads: set[threading.Thread] = set()
        self._count = threading.Lock()

    def enter(self) -> None:
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.threads.add(threading.current_thread())

    def leave(self) -> None:
        with self._count:
            self.inside -= 1


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineWatch]:
    seen = EngineWatch()
    real = EspeakEngine.synthesize

    def synthesize(self: EspeakEngine, text: str, voice: str, rate_wpm: int) -> tuple[bytes, str]:
        seen.enter()
        try:
            time.sleep(0.001)  # widen the window in which an overlap would show
            return real(self, text, voice, rate_wpm)
        finally:
            seen.leave()

    monkeypatch.setattr(EspeakEngine, "synthesize", synthesize)
    yield seen


async def test_many_concurrent_renders_are_serialized(synthesizer: CountingSynthesizer,
                                                      watch: EngineWatch) -> None:
    serial = {voice: (await synthesizer.render(text, voice)).duration_s
              for text, voice in [(MANDARIN, "cmn"), (ENGLISH, "en")]}
    jobs = [(MANDARIN, "cmn") if i % 2 else (ENGLISH, "en") for i in range(40)]
    results = await asyncio.gather(*(synthesizer.render(text, voice) for text, voice in jobs))
    for (_text, voice), rendered in zip(jobs, results, strict=True):
        assert_speech(rendered.wav, rendered.sample_rate)
        assert rendered.duration_s == pytest.approx(serial[voice], rel=0.02)  # no voice mixed up
    assert watch.most_inside == 1
    assert len(watch.threads) == 1 and watch.threads.pop().name.startswith(WORKER_NAME)


async def test_two_synthesizers_never_meet_in_the_library(watch: EngineWatch) -> None:
    async with Synthesizer() as one, Synthesizer() as two:
        results = await asyncio.gather(*(tts.render(MANDARIN) for _ in range(10) for tts in (one, two)))
    assert all(r.voice == "sit/cmn" for r in results)
    assert watch.most_inside == 1
    assert len(watch.threads) == 2  # a worker each, one lock between them


async def test_event_loop_stays_responsive_during_long_renders(synthesizer: CountingSynthesizer) -> None:
    await synthesizer.engine_info()  # load the library first
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)

    long_text = ("3号楼2单元 一键报警，请立即处理。" * 100)[:MAX_TEXT_CHARS]
    ticking = asyncio.create_task(ticker())
    try:
        started = time.perf_counter()
        for _ in range(3):
            rendered = await synthesizer.render(long_text)
        busy = time.perf_counter() - started
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)
    assert rendered.duration_s > 60
    assert busy > 0.1, "renders too quick to tell anything about the loop"
    assert len(lags) > 10
    assert max(lags) < 0.050, f"loop stalled {max(lags) * 1000:.0f} ms"


async def test_close_finishes_queued_renders_and_joins_the_worker() -> None:
    tts = Synthesizer()
    pending = [asyncio.ensure_future(tts.render(MANDARIN)) for _ in range(5)]
    await asyncio.sleep(0)  # let them queue
    await tts.close()
    assert all(r.voice == "sit/cmn" for r in await asyncio.gather(*pending))
    assert not [t for t in threading.enumerate() if t.name.startswith(WORKER_NAME)]
