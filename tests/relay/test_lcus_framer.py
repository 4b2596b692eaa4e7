"""LCUS framer: switch frames, status lines and both stream parsers, with bytes alone.

The stream parsers get the misbehaving-link treatment: one byte at a time,
garbage between frames, bad checksums, truncated frames; hypothesis checks the
round trips and that random bytes raise nothing but FrameError.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.relay.lcus.framer import (
    CommandParser,
    FrameError,
    StatusParser,
    StatusQuery,
    SwitchFrame,
    decode,
    encode,
    encode_status_line,
    parse_status_line,
)

frames = st.builds(SwitchFrame, channel=st.integers(1, 8), on=st.booleans())
statuses = st.tuples(st.integers(1, 8), st.booleans())


def feed_in_pieces(parser: StatusParser | CommandParser, data: bytes, cuts: list[int]) -> list:
    out: list = []
    start = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]:
        out += parser.feed(data[start:cut])
        start = cut
    return out


# --- switch frames ------------------------------------------------------------


def test_known_frames() -> None:
    assert encode(SwitchFrame(1, True)) == bytes.fromhex("A00101A2")
    assert encode(SwitchFrame(1, False)) == bytes.fromhex("A00100A1")
    assert encode(SwitchFrame(8, True)) == bytes.fromhex("A00801A9")
    assert decode(bytes.fromhex("A00201A3")) == SwitchFrame(2, True)


@pytest.mark.parametrize(
    ("hex_frame", "problem"),
    [
        ("A00101", "4 bytes"),
        ("A00101A2A2", "4 bytes"),
        ("A10101A3", "starts with"),
        ("A00901AA", "channel 9"),
        ("A00001A1", "channel 0"),
        ("A00102A3", "state"),
        ("A00101A1", "checksum"),
    ],
)
def test_bad_frames_raise_frame_error(hex_frame: str, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        decode(bytes.fromhex(hex_frame))


def test_encode_refuses_channels_the_boards_do_not_have() -> None:
    with pytest.raises(FrameError):
        encode(SwitchFrame(9, True))


@given(frames)
def test_decode_encode_round_trip(frame: SwitchFrame) -> None:
    assert decode(encode(frame)) == frame


@given(st.binary(max_size=8))
def test_decode_random_bytes_raises_only_frame_error(data: bytes) -> None:
    try:
        decode(data)
    except FrameError:
        pass


# --- status lines -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "status"),
    [(b"CH1: OFF\r\n", (1, False)), (b"CH2:ON\n", (2, True)), (b"ch8 : on", (8, True)), (b" CH3: OFF ", (3, False))],
)
def test_status_line_variants(line: bytes, status: tuple[int, bool]) -> None:
    assert parse_status_line(line) == status


@pytest.mark.parametrize("line", [b"", b"CH1: MAYBE", b"CH9: ON", b"CH0: OFF", b"xxCH1: ON", b"\xff\x00"])
def test_not_status_lines(line: bytes) -> None:
    with pytest.raises(FrameError):
        parse_status_line(line)


@given(statuses)
def test_status_line_round_trip(status: tuple[int, bool]) -> None:
    assert parse_status_line(encode_status_line(*status)) == status


@given(st.binary(max_size=40))
def test_parse_status_line_random_bytes_raises_only_frame_error(data: bytes) -> None:
    try:
        parse_status_line(data)
    except FrameError:
        pass


# --- the status stream ----------------------------------------------------------


def test_status_stream_one_byte_at_a_time() -> None:
    parser = StatusParser()
    reply = b"CH1: OFF\r\nCH2: ON\r\nCH3: OFF\r\nCH4: OFF\r\n"
    got = [status for byte in reply for status in parser.feed(bytes([byte]))]
    assert got == [(1, False), (2, True), (3, False), (4, False)]
    assert parser.garbage_bytes == 0 and parser.bad_lines == 0


def test_status_stream_skips_and_counts_garbage() -> None:
    parser = StatusParser()
    got = parser.feed(b"\x00\x13CH1: ON\r\nnoise\r\n\r\nCH2: OFF\r\n")
    assert got == [(1, True), (2, False)]
    assert parser.garbage_bytes == 2 + 5 and parser.bad_lines == 1


def test_status_stream_drops_endless_noise_but_finds_the_next_line() -> None:
    parser = StatusParser()
    assert parser.feed(b"\xaa" * 500) == []
    assert parser.garbage_bytes >= 450 and parser.bad_lines >= 1
    assert parser.feed(b"\nCH1: ON\r\n") == [(1, True)]


def test_status_stream_truncated_line_then_reset() -> None:
    parser = StatusParser()
    assert parser.feed(b"CH1: O") == []
    parser.reset()
    assert parser.feed(b"CH1: OFF\r\n") == [(1, False)]


@given(st.lists(statuses, max_size=8), st.lists(st.integers(0, 200), max_size=10))
def test_status_stream_round_trip_in_any_chunks(expected: list[tuple[int, bool]], cuts: list[int]) -> None:
    data = b"".join(encode_status_line(*s) for s in expected)
    assert feed_in_pieces(StatusParser(), data, cuts) == expected


@given(st.lists(st.binary(max_size=50), max_size=10))
def test_status_stream_survives_random_bytes(chunks: list[bytes]) -> None:
    parser = StatusParser()
    for chunk in chunks:
        for channel, _on in parser.feed(chunk):
            assert 1 <= channel <= 8
    assert parser.feed(b"\nCH5: ON\r\n")[-1] == (5, True)


# --- the host's stream (what a board reads) -------------------------------------------


def test_command_stream_one_byte_at_a_time_with_queries() -> None:
    parser = CommandParser()
    data = encode(SwitchFrame(1, True)) + b"\xff" + encode(SwitchFrame(1, False))
    got = [m for byte in data for m in parser.feed(bytes([byte]))]
    assert got == [SwitchFrame(1, True), StatusQuery(), SwitchFrame(1, False)]


def test_command_stream_garbage_between_frames() -> None:
    parser = CommandParser()
    data = b"\x01\x02" + encode(SwitchFrame(2, True)) + b"\xa0\xa0" + encode(SwitchFrame(3, False))
    assert parser.feed(data) == [SwitchFrame(2, True), SwitchFrame(3, False)]
    assert parser.garbage_bytes == 2 and parser.bad_frames == 2


def test_command_stream_bad_checksum_is_dropped_and_counted() -> None:
    parser = CommandParser()
    assert parser.feed(bytes.fromhex("A00101A3") + encode(SwitchFrame(1, False))) == [SwitchFrame(1, False)]
    assert parser.bad_frames == 1 and parser.garbage_bytes == 3


def test_command_stream_truncated_frame_then_a_whole_one() -> None:
    parser = CommandParser()
    assert parser.feed(bytes.fromhex("A00101")) == []  # waits for the rest
    assert parser.feed(encode(SwitchFrame(4, True))) == [SwitchFrame(4, True)]
    assert parser.bad_frames == 1


@given(st.lists(frames | st.just(StatusQuery()), max_size=10), st.lists(st.integers(0, 60), max_size=10))
def test_command_stream_round_trip_in_any_chunks(messages: list, cuts: list[int]) -> None:
    data = b"".join(b"\xff" if isinstance(m, StatusQuery) else encode(m) for m in messages)
    assert feed_in_pieces(CommandParser(), data, cuts) == messages


@given(st.binary(max_size=30), frames)
def test_command_stream_recovers_after_random_bytes(noise: bytes, frame: SwitchFrame) -> None:
    parser = CommandParser()
    parser.feed(noise)
    got = parser.feed(b"\x00\x00\x00" + encode(frame))  # three bytes flush any partial frame
    assert got[-1] == frame
