"""What the speaker commands ask for, parsed once for every speaker driver.

Every speaker takes the same commands, so a broadcast manager can drive any of
them alike (the names and arguments are those of :mod:`drivers.sim.speaker`):

- ``speaker.play`` with exactly one of these sets of arguments:

  - ``{"wav_path": str}``: a WAV file on the box (form ``"wav"``);
  - ``{"tone_hz": 20..20000, "duration_s": n}``: a sine tone (form ``"tone"``);
  - ``{"url": "http(s)://..."}``: audio the speaker fetches itself (form ``"url"``);
  - ``{"text": str}`` or ``{"text": str, "voice": str}``: spoken by the
    speaker's own text-to-speech (form ``"text"``; no voice: the driver's default);

- ``speaker.stop``, with no arguments;
- ``speaker.volume`` with ``{"level": 0..100}`` (a number; sent to the speaker
  rounded to a whole percent).

Each driver lists the forms it plays in its ``plays`` class attribute and
refuses the others with a message naming what it does play.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PLAY_FORMS: frozenset[str] = frozenset({"wav", "tone", "url", "text"})
MAX_TEXT_CHARS = 1000
MAX_URL_CHARS = 2048


@dataclass(frozen=True, slots=True)
class PlayWav:
    path: Path

    @property
    def what(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class PlayTone:
    hz: float
    duration_s: float

    @property
    def what(self) -> str:
        return f"tone {self.hz:g} Hz"


@dataclass(frozen=True, slots=True)
class PlayUrl:
    url: str

    @property
    def what(self) -> str:
        return self.url


@dataclass(frozen=True, slots=True)
class PlayText:
    text: str
    voice: str  # "" for the speaker's default

    @property
    def what(self) -> str:
        return self.text


PlayRequest = PlayWav | PlayTone | PlayUrl | PlayText

_USAGE = (
    'speaker.play takes {"wav_path": str}, {"tone_hz": number, "duration_s": number}, '
    '{"url": str} or {"text": str, "voice"?: str}'
)


def parse_play(
    args: dict[str, Any], plays: frozenset[str], kind: str, *, default_voice: str = "", max_duration_s: float = 60.0
) -> PlayRequest:
    """The request in ``args``; ValueError with a message for people if it is malformed or not playable here."""
    form = _form(args)
    if form not in plays:
        raise ValueError(f"{kind} cannot play {_FORM_NAMES[form]}: it plays {_names(plays)}")
    match form:
        case "wav":
            return PlayWav(Path(_text(args, "wav_path", 4096)))
        case "tone":
            hz = _number(args, "tone_hz", 20, 20_000)
            return PlayTone(hz, _number(args, "duration_s", 0.01, max_duration_s))
        case "url":
            return PlayUrl(_url(args["url"]))
    voice = _text(args, "voice", 100) if "voice" in args else default_voice
    return PlayText(_text(args, "text", MAX_TEXT_CHARS), voice)


def parse_volume(args: dict[str, Any]) -> int:
    """The level in ``{"level": 0..100}``, rounded to a whole percent; ValueError otherwise."""
    if set(args) != {"level"}:
        raise ValueError('speaker.volume takes {"level": 0..100}')
    return round(_number(args, "level", 0, 100))


def check_stop(args: dict[str, Any]) -> None:
    if args:
        raise ValueError("speaker.stop takes no arguments")


_FORMS = {
    frozenset({"wav_path"}): "wav",
    frozenset({"tone_hz", "duration_s"}): "tone",
    frozenset({"url"}): "url",
    frozenset({"text"}): "text",
    frozenset({"text", "voice"}): "text",
}
_FORM_NAMES = {"wav": "WAV files", "tone": "tones", "url": "URLs", "text": "text (speech)"}


def _form(args: dict[str, Any]) -> str:
    form = _FORMS.get(frozenset(args))
    if form is None:
        raise ValueError(_USAGE)
    return form


def _names(plays: frozenset[str]) -> str:
    return ", ".join(_FORM_NAMES[form] for form in sorted(plays)) or "nothing"


def _text(args: dict[str, Any], key: str, max_chars: int) -> str:
    value = args[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    if len(value) > max_chars:
        raise ValueError(f"{key} is longer than {max_chars} characters")
    return value


def _number(args: dict[str, Any], key: str, low: float, high: float) -> float:
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


def _url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        raise ValueError(f"url must be a string of at most {MAX_URL_CHARS} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("url must be an http:// or https:// URL")
    return value
