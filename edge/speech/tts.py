"""The speech service: ``await Synthesizer().render(text, voice, rate_wpm)`` gives a WAV.

libespeak-ng blocks while it speaks and must not be entered by two threads at
once, so each ``Synthesizer`` owns one worker thread ("espeak-synth") and
every render runs there, one after another; ``ENGINE_LOCK`` also keeps two
synthesizers in one process from meeting inside the library. The event loop
only waits. ``close()`` lets queued renders finish and joins the thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Self, TypeVar

from edge.speech.espeak import ENGINE_LOCK, EngineInfo, engine
from edge.speech.voices import VoiceEntry
from edge.speech.wav import duration_s, pcm_to_wav

MAX_TEXT_CHARS = 1000  # up to ~4.5 min of Mandarin, ~12 MB of WAV, ~190 ms to render
MIN_RATE_WPM, MAX_RATE_WPM = 80, 450  # espeak-ng's own range
WORKER_NAME = "espeak-synth"

T = TypeVar("T")


@dataclass(frozen=True)
class Rendered:
    wav: bytes  # a whole WAV file: 16-bit signed mono PCM
    sample_rate: int
    duration_s: float
    voice: str  # the espeak-ng voice that spoke, as its identifier: "sit/cmn" for "cmn"


def check_request(text: str, rate_wpm: int) -> str:
    """Refuse what cannot be spoken, with a ValueError that says why; return ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("nothing to speak: text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(text)} characters; at most {MAX_TEXT_CHARS} are spoken at once")
    if "\x00" in text:
        raise ValueError("text contains a NUL character")
    if isinstance(rate_wpm, bool) or not isinstance(rate_wpm, int):
        raise ValueError(f"rate_wpm must be an int, not {rate_wpm!r}")
    if not MIN_RATE_WPM <= rate_wpm <= MAX_RATE_WPM:
        raise ValueError(f"rate_wpm {rate_wpm} is outside {MIN_RATE_WPM}..{MAX_RATE_WPM}")
    return text


def _render_blocking(text: str, voice: str, rate_wpm: int) -> Rendered:
    with ENGINE_LOCK:
        speaker = engine()
        pcm, identifier = speaker.synthesize(text, voice, rate_wpm)
        sample_rate = speaker.info.sample_rate
    if not pcm:
        raise ValueError(f"espeak-ng found nothing to say in {text[:40]!r}")
    return Rendered(pcm_to_wav(pcm, sample_rate), sample_rate, duration_s(pcm, sample_rate), identifier)


def _engine_info_blocking() -> EngineInfo:
    with ENGINE_LOCK:
        return engine().info


def _voices_blocking() -> tuple[VoiceEntry, ...]:
    with ENGINE_LOCK:
        return engine().catalog.voices


class Synthesizer:
    """Text to WAV, off the event loop. Use ``async with Synthesizer() as tts`` or call ``close()``."""

    def __init__(self) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER_NAME)
        self._closed = False

    async def render(self, text: str, voice: str = "cmn", rate_wpm: int = 160) -> Rendered:
        """Speak ``text``. ValueError (UnknownVoiceError for a voice) for bad input, SpeechEngineError
        if libespeak-ng cannot be loaded or fails."""
        check_request(text, rate_wpm)
        return await self._run(_render_blocking, text, voice, rate_wpm)

    async def engine_info(self) -> EngineInfo:
        """Version, sample rate and data path; loads the engine if it is not yet (a warm-up)."""
        return await self._run(_engine_info_blocking)

    async def voices(self) -> tuple[VoiceEntry, ...]:
        return await self._run(_voices_blocking)

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise RuntimeError("Synthesizer is closed")
        return await asyncio.wrap_future(self._worker.submit(function, *args))

    async def close(self) -> None:
        """Let renders already queued finish, then stop and join the worker thread."""
        if self._closed:
            return
        self._closed = True
        last = self._worker.submit(lambda: None)  # runs after everything queued before it
        self._worker.shutdown(wait=False)
        await asyncio.wrap_future(last)
        self._worker.shutdown(wait=True)  # the worker is on its way out: this join is immediate

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
