"""Which espeak-ng voice a caller means: "cmn", "zh", "en-us", "sit/cmn" or a voice's full name.

``espeak_SetVoiceByName`` alone is a poor judge: it does not know language
codes such as "zh", and for some unknown names it quietly picks another
voice. So the names are checked here against ``espeak_ListVoices`` first, and
an unknown one is refused with a few names that would work.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

SUGGESTED = ("cmn", "en", "en-us", "yue")  # what this box speaks, first in an error message


class UnknownVoiceError(ValueError):
    """No espeak-ng voice has this name, identifier or language code."""


@dataclass(frozen=True)
class VoiceEntry:
    name: str  # "Chinese (Mandarin, latin as English)"
    identifier: str  # "sit/cmn": the file under espeak-ng-data/lang
    languages: tuple[tuple[int, str], ...]  # ((5, "cmn"), (5, "zh-cmn"), (5, "zh")); lower priority fits better


class VoiceCatalog:
    """Resolves a voice as asked for to a voice identifier, case-insensitively.

    In order: an identifier ("gmw/en-US"), its last part ("en-us"), a voice
    name, then a language code ("zh"), which goes to the voice that lists it
    with the best priority.
    """

    def __init__(self, voices: list[VoiceEntry]) -> None:
        self.voices = tuple(voices)
        self._by_key: dict[str, str] = {}
        for voice in self.voices:
            self._by_key.setdefault(voice.identifier.lower(), voice.identifier)
        for voice in self.voices:
            self._by_key.setdefault(voice.identifier.rsplit("/", 1)[-1].lower(), voice.identifier)
        for voice in self.voices:
            self._by_key.setdefault(voice.name.lower(), voice.identifier)
        for _priority, code, identifier in sorted(self._language_rows()):
            self._by_key.setdefault(code.lower(), identifier)

    def _language_rows(self) -> list[tuple[int, str, str]]:
        return [(priority, code, voice.identifier) for voice in self.voices for priority, code in voice.languages]

    def resolve(self, voice: str) -> str:
        """The identifier to pass to ``espeak_SetVoiceByName``; ``UnknownVoiceError`` if there is none."""
        found = self._by_key.get(voice.strip().lower())
        if found is None:
            raise UnknownVoiceError(self._unknown_message(voice))
        return found

    def _unknown_message(self, voice: str) -> str:
        close = difflib.get_close_matches(voice.strip().lower(), list(self._by_key), n=3)
        known = [name for name in SUGGESTED if name in self._by_key] + [c for c in close if c not in SUGGESTED]
        return (f"unknown voice {voice!r}; known voices include {', '.join(known)} "
                f"({len(self.voices)} voices in all; see VoiceCatalog.voices)")
