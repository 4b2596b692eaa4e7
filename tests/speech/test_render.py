"""Synthesizer.render against the real libespeak-ng: Mandarin and English WAVs that hold speech."""

from __future__ import annotations

import pytest

from edge.speech import SpeechEngineError, Synthesizer, UnknownVoiceError
from edge.speech.tts import MAX_TEXT_CHARS
from tests.speech.audio import assert_speech, read_wav
from tests.speech.conftest import ENGLISH, MANDARIN, CountingSynthesizer


async def test_mandarin_renders_speech(synthesizer: CountingSynthesizer) -> None:
    rendered = await synthesizer.render(MANDARIN, voice="cmn")
    info = await synthesizer.engine_info()
    assert rendered.voice == "sit/cmn"
    assert rendered.sample_rate == info.sample_rate == 22050
    clip = assert_speech(rendered.wav, rendered.sample_rate)
    assert clip.duration_s == pytest.approx(rendered.duration_s)


async def test_english_renders_speech(synthesizer: CountingSynthesizer) -> None:
    rendered = await synthesizer.render(ENGLISH, voice="en-us")
    assert rendered.voice == "gmw/en-US"
    assert_speech(rendered.wav, rendered.sample_rate)


async def test_mandarin_and_english_sound_different(synthesizer: CountingSynthesizer) -> None:
    mandarin = read_wav((await synthesizer.render(MANDARIN, "cmn")).wav).samples
    english = read_wav((await synthesizer.render(ENGLISH, "en")).wav).samples
    assert mandarin != english
    # the same text in the wrong voice is spoken differently too
    assert read_wav((await synthesizer.render(MANDARIN, "en")).wav).samples != mandarin


async def test_same_text_renders_about_the_same(synthesizer: CountingSynthesizer) -> None:
    # not byte for byte: libespeak-ng carries some state from one utterance to the next
    first = await synthesizer.render(MANDARIN)
    assert (await synthesizer.render(MANDARIN)).duration_s == pytest.approx(first.duration_s, rel=0.02)


async def test_rate_changes_the_length(synthesizer: CountingSynthesizer) -> None:
    slow = await synthesizer.render(ENGLISH, "en", rate_wpm=100)
    fast = await synthesizer.render(ENGLISH, "en", rate_wpm=300)
    assert slow.duration_s > 1.5 * fast.duration_s


@pytest.mark.parametrize("voice", ["zh", "CMN", "sit/cmn", " cmn "])
async def test_voice_names_for_mandarin(synthesizer: CountingSynthesizer, voice: str) -> None:
    assert (await synthesizer.render("你好", voice)).voice == "sit/cmn"


@pytest.mark.parametrize("text", ["", "   \n\t"])
async def test_empty_text_is_refused(synthesizer: CountingSynthesizer, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        await synthesizer.render(text)


async def test_long_text_is_refused(synthesizer: CountingSynthesizer) -> None:
    assert_speech((await synthesizer.render("好" * MAX_TEXT_CHARS)).wav, 22050)
    with pytest.raises(ValueError, match=f"at most {MAX_TEXT_CHARS}"):
        await synthesizer.render("好" * (MAX_TEXT_CHARS + 1))


@pytest.mark.parametrize(("text", "rate", "message"), [
    ("a\x00b", 160, "NUL"), ("hello", 20, "outside"), ("hello", 1000, "outside"), ("hello", 160.0, "int"),
])
async def test_bad_requests_are_refused(synthesizer: CountingSynthesizer, text: str, rate: int,
                                        message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await synthesizer.render(text, "en", rate)


async def test_unknown_voice_names_known_ones(synthesizer: CountingSynthesizer) -> None:
    with pytest.raises(UnknownVoiceError, match=r"unknown voice 'martian'.*cmn, en, en-us") as raised:
        await synthesizer.render(MANDARIN, voice="martian")
    assert isinstance(raised.value, ValueError)  # what edge.broadcast catches
    assert (await synthesizer.render(MANDARIN)).voice == "sit/cmn"  # the engine is still fine


async def test_voices_lists_mandarin_and_english(synthesizer: CountingSynthesizer) -> None:
    identifiers = {voice.identifier for voice in await synthesizer.voices()}
    assert {"sit/cmn", "gmw/en", "gmw/en-US"} <= identifiers


async def test_closed_synthesizer_refuses_work() -> None:
    tts = Synthesizer()
    await tts.render("ok", "en")
    await tts.close()
    await tts.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await tts.render("too late", "en")


def test_missing_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import espeakng_loader

    from edge.speech.espeak import EspeakEngine

    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak-ng.so")
    with pytest.raises(SpeechEngineError, match="cannot load libespeak-ng"):
        EspeakEngine()


def test_missing_data_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import espeakng_loader

    from edge.speech.espeak import EspeakEngine

    def missing() -> str:
        raise RuntimeError("data path not exists at /nowhere")

    monkeypatch.setattr(espeakng_loader, "get_data_path", missing)
    with pytest.raises(SpeechEngineError, match="data path"):
        EspeakEngine()
