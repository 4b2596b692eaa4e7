"""The command router: device and box commands alike, one ``command.result`` each, with the caller's source."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from drivers.base import Command, CommandResult
from edge.commands import BoxCommandFailed, BoxCommandRejected, Caller, CommandRequest, CommandRouter
from edge.store.media import MediaStore
from tests.api.small_box import Recorded, SmallBox

GATE = frozenset({"gate.open", "gate.close"})
DISTRICT = Caller.district()


@pytest.fixture
def small(tmp_path: Path) -> SmallBox:
    box = SmallBox(tmp_path / "e.db", MediaStore(tmp_path / "media"), None, {}, {"gate-1": GATE, "gate-2": GATE})
    box.offline("gate-2", "no answer")
    return box


def results(small: SmallBox) -> list[tuple[str | None, str, bool, str, str]]:
    assert all(r.type == "command.result" for r in small.recorded)
    return [(r.device_id, r.data["command"], r.data["ok"], r.data["detail"], r.data["source"]) for r in small.recorded]


async def test_a_device_command_runs_on_its_driver_with_the_callers_source(small: SmallBox) -> None:
    result = await small.commands.dispatch(CommandRequest("gate.open", "gate-1", {"ms": 5}, caller=Caller.face("cam")))
    assert result == CommandResult(True, "opened", {"relay": 1})
    assert small.executed == [("gate-1", Command("gate.open", {"ms": 5}, source="face"))]
    assert small.recorded == [Recorded("command.result", 3, {
        "command": "gate.open", "args": {"ms": 5}, "source": "face", "ok": True, "detail": "opened",
    }, "gate-1")]


async def test_device_commands_that_cannot_run_are_recorded_too(small: SmallBox) -> None:
    for device_id, kind in (("nope", "gate.open"), ("gate-1", "speaker.play"), ("gate-2", "gate.open")):
        assert not (await small.commands.dispatch(CommandRequest(kind, device_id, caller=DISTRICT))).ok
    assert small.executed == []
    assert results(small) == [
        ("nope", "gate.open", False, "no device 'nope'", "district"),
        ("gate-1", "speaker.play", False,
         "test.scripted does not support 'speaker.play' (supports: gate.close, gate.open)", "district"),
        ("gate-2", "gate.open", False, "device is offline: no answer", "district"),
    ]
    assert [r.priority for r in small.recorded] == [2, 2, 2]


async def test_a_box_command_runs_its_handler_and_is_recorded_without_a_device(small: SmallBox) -> None:
    seen: list[CommandRequest] = []

    async def broadcast(request: CommandRequest) -> dict[str, Any]:
        seen.append(request)
        return {"speakers": ["spk-1"]}

    small.commands.register_box_command("broadcast", broadcast)
    request = CommandRequest("broadcast", None, {"text": "停水"}, caller=Caller.console())
    assert await small.commands.dispatch(request) == CommandResult(True, "done", {"speakers": ["spk-1"]})
    assert seen == [request]
    assert small.recorded == [Recorded("command.result", 3, {
        "command": "broadcast", "args": {"text": "停水"}, "source": "console", "ok": True, "detail": "done",
    }, None)]


async def test_box_command_refusals_and_failures_are_recorded_once(small: SmallBox) -> None:
    async def wrong(_request: CommandRequest) -> dict[str, Any]:
        raise BoxCommandRejected('"text" is required')

    async def value_error(_request: CommandRequest) -> dict[str, Any]:
        raise ValueError("no speaker or group 'x'")

    async def failed(_request: CommandRequest) -> dict[str, Any]:
        raise BoxCommandFailed("the district is unreachable")

    async def bug(_request: CommandRequest) -> dict[str, Any]:
        raise KeyError("oops")

    for name, handler in (("wrong", wrong), ("value", value_error), ("failed", failed), ("bug", bug)):
        small.commands.register_box_command(name, handler)
    for name in ("wrong", "value"):
        with pytest.raises(BoxCommandRejected):
            await small.commands.dispatch(CommandRequest(name, None, caller=DISTRICT))
    assert await small.commands.dispatch(CommandRequest("failed", None, caller=DISTRICT)) == CommandResult(
        False, "the district is unreachable"
    )
    with capture_logs() as logs:
        crashed = await small.commands.dispatch(CommandRequest("bug", None, caller=DISTRICT))
    assert crashed == CommandResult(False, "KeyError: 'oops'")
    assert [e["event"] for e in logs] == ["command.failed"]
    unknown = await small.commands.dispatch(CommandRequest("explode", None, caller=DISTRICT))
    assert unknown == CommandResult(False, "no box command 'explode' (known: bug, failed, value, wrong)")
    assert results(small) == [
        (None, "wrong", False, '"text" is required', "district"),
        (None, "value", False, "no speaker or group 'x'", "district"),
        (None, "failed", False, "the district is unreachable", "district"),
        (None, "bug", False, "KeyError: 'oops'", "district"),
        (None, "explode", False, "no box command 'explode' (known: bug, failed, value, wrong)", "district"),
    ]


async def test_a_cancelled_box_command_stays_cancelled_and_records_nothing(small: SmallBox) -> None:
    started = asyncio.Event()

    async def slow(_request: CommandRequest) -> dict[str, Any]:
        started.set()
        await asyncio.Event().wait()
        return {}

    small.commands.register_box_command("slow", slow)
    task = asyncio.create_task(small.commands.dispatch(CommandRequest("slow", None, caller=DISTRICT)))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert small.recorded == []


def test_a_box_command_type_is_registered_once_and_listed(small: SmallBox) -> None:
    async def handler(_request: CommandRequest) -> dict[str, Any]:
        return {}

    router: CommandRouter = small.commands
    router.register_box_command("sync.now", handler)
    router.register_box_command("broadcast", handler)
    with pytest.raises(ValueError, match="registered already"):
        router.register_box_command("sync.now", handler)
    assert router.box_command_types == ["broadcast", "sync.now"]
    assert router.device_command_types() == {"gate.open", "gate.close"}
    assert router.has_device("gate-1") and not router.has_device("gate-9")
