"""VoiceCatalog on its own: names, identifiers and language codes to a voice identifier."""

from __future__ import annotations

import pytest

from edge.speech.voices import UnknownVoiceError, VoiceCatalog, VoiceEntry

VOICES = [
    VoiceEntry("Chinese (Mandarin, latin as English)", "sit/cmn", ((5, "cmn"), (5, "zh-cmn"), (5, "zh"))),
    VoiceEntry("Chinese (Cantonese)", "sit/yue", ((5, "yue"), (5, "zh-yue"), (8, "zh"))),
    VoiceEntry("English (Great Britain)", "gmw/en", ((2, "en-gb"), (2, "en"))),
    VoiceEntry("English (America)", "gmw/en-US", ((2, "en-us"), (3, "en"))),
    VoiceEntry("English (Caribbean)", "gmw/en-029", ((5, "en-029"), (10, "en"))),
]


@pytest.mark.parametrize(("asked", "identifier"), [
    ("cmn", "sit/cmn"), ("zh", "sit/cmn"), ("zh-yue", "sit/yue"), ("en", "gmw/en"), ("en-gb", "gmw/en"),
    ("EN-US", "gmw/en-US"), ("gmw/en-US", "gmw/en-US"), ("english (america)", "gmw/en-US"),
])
def test_resolves(asked: str, identifier: str) -> None:
    assert VoiceCatalog(VOICES).resolve(asked) == identifier


def test_unknown_voice_suggests_known_and_close_ones() -> None:
    with pytest.raises(UnknownVoiceError, match=r"'en-uss'; known voices include cmn, en, en-us, yue.*5 voices"):
        VoiceCatalog(VOICES).resolve("en-uss")


def test_suggests_only_voices_that_exist() -> None:
    with pytest.raises(UnknownVoiceError) as raised:
        VoiceCatalog(VOICES[2:]).resolve("cmn")
    assert "include en, en-us" in str(raised.value) and "cmn," not in str(raised.value)
