"""WAV files for the speakers: read one to send it, render a tone or silence.

The functions here do file and CPU work: drivers call them in a worker thread
(``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np


def wav_duration(data: bytes) -> float:
    """The length of the WAV audio in ``data``, in seconds; ValueError if it is not a WAV with audio."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file ({exc})") from None
    if frames == 0 or rate == 0:
        raise ValueError("the WAV file holds no audio")
    return frames / rate


def load_wav(path: Path, max_duration_s: float) -> tuple[bytes, float]:
    """The file's bytes and length in seconds; ValueError (or OSError) if it cannot be played."""
    data = path.read_bytes()
    duration_s = wav_duration(data)
    if duration_s > max_duration_s:
        raise ValueError(f"longer than {max_duration_s:g} s")
    return data, duration_s


def tone_wav(hz: float, duration_s: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit sine at half of full scale, with 10 ms fades so it does not click."""
    count = max(1, round(duration_s * rate))
    signal = 0.5 * np.sin(2 * np.pi * hz * np.arange(count) / rate)
    fade = min(count // 2, rate // 100)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        signal[:fade] *= ramp
        signal[-fade:] *= ramp[::-1]
    return _wav_bytes((signal * 32767).astype("<i2").tobytes(), rate)


def silence_wav(duration_s: float, rate: int = 8_000) -> bytes:
    """A mono 16-bit WAV of ``duration_s`` seconds of silence."""
    return _wav_bytes(bytes(2 * max(1, round(duration_s * rate))), rate)


def _wav_bytes(frames: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return buffer.getvalue()
