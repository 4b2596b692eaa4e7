"""libespeak-ng through ctypes: the library and voice data that the ``espeakng-loader`` wheel ships.

No apt package and no root: the wheel carries ``libespeak-ng.so`` and its
``espeak-ng-data`` (Mandarin ``cmn`` included). This module is the link layer
of speech: it loads the library once, declares the C signatures, and turns
one (text, voice, rate) into raw 16-bit mono PCM.

libespeak-ng keeps global state and is not thread-safe, so there is one
``EspeakEngine`` per process (``engine()``) and every call into the library
is made under ``ENGINE_LOCK``. The calls block for as long as synthesis
takes: callers run them in a worker thread (see ``edge.speech.tts``), never
on the event loop. The engine is never terminated; it lives as long as the
process does (re-initialising libespeak-ng is not something it does well).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import threading
from dataclasses import dataclass

import espeakng_loader

from edge.speech.voices import UnknownVoiceError, VoiceCatalog, VoiceEntry

ENGINE_LOCK = threading.Lock()

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a failed initialisation calls exit(1)
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EE_OK = 0
_BUFFER_MS = 500  # audio per callback

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class SpeechEngineError(RuntimeError):
    """libespeak-ng could not be loaded or initialised, or failed while speaking."""


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)* then a 0 byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SIGNATURES = {
    "espeak_Initialize": (ctypes.c_int, [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]),
    "espeak_Info": (ctypes.c_char_p, [ctypes.POINTER(ctypes.c_char_p)]),
    "espeak_ListVoices": (ctypes.POINTER(ctypes.POINTER(_Voice)), [ctypes.c_void_p]),
    "espeak_SetSynthCallback": (None, [_SynthCallback]),
    "espeak_SetVoiceByName": (ctypes.c_int, [ctypes.c_char_p]),
    "espeak_GetCurrentVoice": (ctypes.POINTER(_Voice), []),
    "espeak_SetParameter": (ctypes.c_int, [ctypes.c_int, ctypes.c_int, ctypes.c_int]),
    "espeak_Synth": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                    ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]),
    "espeak_Synchronize": (ctypes.c_int, []),
}


@dataclass(frozen=True)
class EngineInfo:
    version: str  # e.g. "espeak-ng 1.52.0 (espeakng-loader 0.2.4)"
    sample_rate: int
    data_path: str


def _load_library() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
    except OSError as exc:
        raise SpeechEngineError(f"cannot load libespeak-ng from espeakng-loader: {exc}") from exc
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def _languages(address: int | None) -> tuple[tuple[int, str], ...]:
    """Decode ``espeak_VOICE.languages``: (priority, code) pairs; a lower priority fits better."""
    pairs: list[tuple[int, str]] = []
    while address:
        priority = ctypes.c_ubyte.from_address(address).value
        if priority == 0:  # ends the list
            break
        code = ctypes.string_at(address + 1)
        pairs.append((priority, code.decode()))
        address += 2 + len(code)
    return tuple(pairs)


class EspeakEngine:
    """The process's one libespeak-ng. Every method must be called with ``ENGINE_LOCK`` held."""

    def __init__(self) -> None:
        try:
            data_path = espeakng_loader.get_data_path()
        except RuntimeError as exc:
            raise SpeechEngineError(str(exc)) from exc
        self._lib = _load_library()
        rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(),
                                           _INITIALIZE_DONT_EXIT)
        if rate <= 0:  # it prints why on stderr
            raise SpeechEngineError(f"espeak_Initialize failed ({rate}) with data at {data_path}")
        self._samples = bytearray()
        self._callback = _SynthCallback(self._collect)  # referenced for as long as C holds it
        self._lib.espeak_SetSynthCallback(self._callback)
        self.info = EngineInfo(self._version(), rate, data_path)
        self.catalog = VoiceCatalog(self._list_voices())

    def _version(self) -> str:
        library = self._lib.espeak_Info(None).decode()
        return f"espeak-ng {library} (espeakng-loader {importlib.metadata.version('espeakng-loader')})"

    def _list_voices(self) -> list[VoiceEntry]:
        voices = self._lib.espeak_ListVoices(None)  # a NULL-terminated array
        entries, i = [], 0
        while voices[i]:
            voice = voices[i].contents
            entries.append(VoiceEntry(voice.name.decode(), voice.identifier.decode(), _languages(voice.languages)))
            i += 1
        return entries

    def _collect(self, wav: ctypes._Pointer, count: int, _events: int | None) -> int:
        if count > 0:
            self._samples += ctypes.string_at(wav, count * 2)
        return 0  # 0: go on

    def synthesize(self, text: str, voice: str, rate_wpm: int) -> tuple[bytes, str]:
        """Speak ``text``; return (16-bit mono PCM at ``info.sample_rate``, the voice's identifier)."""
        identifier = self.catalog.resolve(voice)
        self._select_voice(identifier)
        self._check("espeak_SetParameter", self._lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0))
        encoded = text.encode()
        self._samples = bytearray()
        try:
            self._check("espeak_Synth", self._lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None))
            self._check("espeak_Synchronize", self._lib.espeak_Synchronize())
            return bytes(self._samples), identifier
        finally:
            self._samples = bytearray()

    def _select_voice(self, identifier: str) -> None:
        self._check(f"espeak_SetVoiceByName({identifier!r})", self._lib.espeak_SetVoiceByName(identifier.encode()))
        current = self._lib.espeak_GetCurrentVoice()
        chosen = current.contents.identifier.decode() if current and current.contents.identifier else None
        if chosen != identifier:  # espeak falls back to another voice rather than fail
            raise UnknownVoiceError(f"espeak-ng chose voice {chosen!r} instead of {identifier!r}")

    @staticmethod
    def _check(call: str, code: int) -> None:
        if code != _EE_OK:
            raise SpeechEngineError(f"{call} returned {code}")


_engine: EspeakEngine | None = None


def engine() -> EspeakEngine:
    """The process's engine, initialised on first use. Call with ``ENGINE_LOCK`` held."""
    global _engine
    if _engine is None:
        _engine = EspeakEngine()  # a failure leaves nothing behind: the next call tries again
    return _engine
