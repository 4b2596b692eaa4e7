"""Offline speech for the box's speakers: Mandarin and English text to WAV, cached on disk.

Layers, lowest first: ``espeak`` (libespeak-ng from the espeakng-loader wheel,
through ctypes), ``voices`` (which voice a name means), ``wav`` (PCM to WAV),
``tts`` (``Synthesizer``: one worker thread, async ``render``) and ``cache``
(``TtsCache``: rendered WAVs on disk, bounded, least recently used evicted).
"""

from edge.speech.cache import CacheStats, TtsCache
from edge.speech.espeak import SpeechEngineError
from edge.speech.tts import Rendered, Synthesizer
from edge.speech.voices import UnknownVoiceError

__all__ = ["CacheStats", "Rendered", "SpeechEngineError", "Synthesizer", "TtsCache", "UnknownVoiceError"]
