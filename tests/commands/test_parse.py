"""The one command parser: what a body may hold, and that the caller never comes from it."""

from __future__ import annotations

from typing import Any

import pytest

from edge.commands import Caller, CallerKind, CommandRequest, MalformedCommand, parse_command

CONSOLE = Caller.console()


def test_a_device_command_and_a_box_command() -> None:
    assert parse_command({"type": "gate.open", "device_id": "gate-1", "args": {"ms": 5}}, CONSOLE) == (
        CommandRequest("gate.open", "gate-1", {"ms": 5}, caller=CONSOLE)
    )
    box = parse_command({"type": "sync.now"}, CONSOLE)
    assert box == CommandRequest("sync.now", None, {}, caller=CONSOLE) and box.is_box_command


def test_the_args_are_the_commands_own_copy() -> None:
    args: dict[str, Any] = {"ms": 5}
    command = parse_command({"type": "gate.open", "device_id": "g", "args": args}, CONSOLE)
    args["ms"] = 9
    assert command.args == {"ms": 5}


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the body must be a JSON object"),
        ("gate.open", "the body must be a JSON object"),
        ({"device_id": "g"}, '"type" must be a non-empty string'),
        ({"type": ""}, '"type" must be a non-empty string'),
        ({"type": 3}, '"type" must be a non-empty string'),
        ({"type": "x", "device_id": ""}, '"device_id" must be a non-empty string'),
        ({"type": "x", "device_id": 7}, '"device_id" must be a non-empty string'),
        ({"type": "x", "args": [1]}, '"args" must be a JSON object'),
        ({"type": "x", "args": None}, '"args" must be a JSON object'),
        ({"type": "gate.open", "device_id": "g", "source": "district"}, "unknown field 'source'"),
        ({"type": "broadcast", "source": "cli", "text": "x"}, "unknown field 'source'"),
    ],
)
def test_malformed_bodies_are_refused_with_a_message_for_the_sender(body: Any, message: str, flat: bool) -> None:
    with pytest.raises(MalformedCommand) as refused:
        parse_command(body, CONSOLE, flat=flat)
    assert message in str(refused.value)


def test_a_claimed_source_is_refused_saying_where_the_source_comes_from() -> None:
    with pytest.raises(MalformedCommand, match="known from its credential"):
        parse_command({"type": "gate.open", "device_id": "g", "source": "district"}, Caller.cli(), flat=True)


def test_without_flat_only_the_three_fields_are_accepted() -> None:
    with pytest.raises(MalformedCommand, match=r"unknown field 'text' \(known: type, device_id, args\)"):
        parse_command({"type": "broadcast", "text": "x"}, CONSOLE)


def test_flat_box_command_fields_are_its_args_over_those_in_args() -> None:
    body = {"type": "broadcast", "text": "停水", "args": {"text": "old", "repeat": 2}}
    command = parse_command(body, Caller.district(), flat=True)
    assert command == CommandRequest("broadcast", None, {"text": "停水", "repeat": 2}, caller=Caller.district())


def test_flat_fields_beside_a_device_command_are_ignored_as_they_always_were() -> None:
    command = parse_command({"type": "gate.open", "device_id": "g", "ms": 5}, Caller.cli(), flat=True)
    assert command == CommandRequest("gate.open", "g", {}, caller=Caller.cli())


@pytest.mark.parametrize(
    ("caller", "source"),
    [
        (Caller.cli(), "cli"),
        (Caller.console(), "console"),
        (Caller.console("admin"), "console"),  # the user is context, not part of the stored source
        (Caller.district(), "district"),
        (Caller.face("cam-north"), "face"),
        (Caller.rule("sos-announce"), "rule:sos-announce"),
        (Caller(CallerKind.RULE), "rule"),
        (Caller.bench(), "bench"),
    ],
)
def test_a_caller_renders_the_source_strings_stored_until_now(caller: Caller, source: str) -> None:
    assert caller.source == str(caller) == source
    assert CommandRequest("gate.open", "g", caller=caller).for_driver().source == source
