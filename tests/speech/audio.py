"""Reading a WAV back with the stdlib and judging whether it holds speech or silence."""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from dataclasses import dataclass


@dataclass(frozen=True)
class Clip:
    channels: int
    sample_width: int
    sample_rate: int
    samples: array

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def rms(self) -> float:
        return math.sqrt(sum(s * s for s in self.samples) / len(self.samples)) if self.samples else 0.0

    @property
    def nonzero_fraction(self) -> float:
        return sum(1 for s in self.samples if s) / len(self.samples) if self.samples else 0.0


def read_wav(data: bytes) -> Clip:
    with wave.open(io.BytesIO(data), "rb") as clip:
        frames = clip.readframes(clip.getnframes())
        samples = array("h")
        samples.frombytes(frames)
        if sys.byteorder == "big":
            samples.byteswap()
        return Clip(clip.getnchannels(), clip.getsampwidth(), clip.getframerate(), samples)


def assert_speech(data: bytes, sample_rate: int, min_duration_s: float = 0.5) -> Clip:
    """A valid 16-bit mono WAV at ``sample_rate``, long enough, and not silence."""
    clip = read_wav(data)
    assert (clip.channels, clip.sample_width, clip.sample_rate) == (1, 2, sample_rate)
    assert clip.duration_s > min_duration_s
    assert clip.rms > 500, f"RMS {clip.rms:.0f}: silence"
    assert clip.nonzero_fraction > 0.5, f"only {clip.nonzero_fraction:.0%} of samples are non-zero"
    return clip
