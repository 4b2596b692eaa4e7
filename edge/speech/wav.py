"""Raw 16-bit mono PCM into a WAV file, with the stdlib ``wave`` module.

WAV is the one format produced. MP3/Opus are not: no encoder comes without
an apt package or a new dependency (``lameenc`` would be the light one for
MP3). If a speaker needs them, add an encoder here, beside ``pcm_to_wav``.
"""

from __future__ import annotations

import io
import wave

SAMPLE_WIDTH = 2  # bytes: 16-bit signed little-endian, as libespeak-ng produces it
CHANNELS = 1


def pcm_to_wav(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def duration_s(pcm: bytes, sample_rate: int) -> float:
    return len(pcm) / (SAMPLE_WIDTH * CHANNELS * sample_rate)
