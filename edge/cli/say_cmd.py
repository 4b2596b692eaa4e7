"""``edge say TEXT``: speak through a speaker (or every speaker) of the site.

With the daemon running, the announcement goes through it (so it takes its
place among what is playing, by urgency). Without it, the speakers of the
config are driven directly, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import aiohttp

from drivers.base import Command
from drivers.capabilities import Speaker
from drivers.registry import driver_class
from edge.cli.common import CliError, add_config_option, load


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("say", help="speak a text through the site's speakers (offline TTS)")
    parser.add_argument("text")
    parser.add_argument("--speaker", help="a speaker id or group (default: every speaker)")
    parser.add_argument("--voice", default=None, help="cmn (Mandarin, default) or en")
    parser.add_argument("--urgent", action="store_true", help="life-safety: cut into whatever plays")
    add_config_option(parser)
    parser.set_defaults(handler=say)


def say(args: argparse.Namespace) -> int:
    config = load(args)
    socket = config.store.data_dir.resolve() / "run" / "edge.sock"
    if socket.exists():
        result = asyncio.run(_through_daemon(socket, args))
        print(f"announced on {', '.join(result['speakers'])} (by the running daemon)")
        return 0
    for line in asyncio.run(_direct(config, args)):
        print(line)
    return 0


async def _through_daemon(socket: Any, args: argparse.Namespace) -> dict[str, Any]:
    command: dict[str, Any] = {"text": args.text, "urgency": "life_safety" if args.urgent else "live"}
    if args.speaker:
        command["speaker"] = args.speaker
    if args.voice:
        command["voice"] = args.voice
    body = {"type": "broadcast", "args": command}  # the daemon knows it is the CLI: the socket says so
    async with (
        aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(socket))) as session,
        session.post("http://edge/box-commands", json=body) as response,
    ):
        answer = await response.json()
    if not answer.get("ok"):
        raise CliError(answer.get("detail", "the daemon refused the announcement"))
    return answer["data"]


async def _direct(config: Any, args: argparse.Namespace) -> list[str]:
    from edge.broadcast.render import Speech

    speakers = [d for d in config.devices if d.enabled and issubclass(driver_class(d.kind), Speaker)]
    if args.speaker:
        members = config.broadcast.groups.get(args.speaker, [args.speaker])
        speakers = [d for d in speakers if d.id in members]
        if not speakers:
            raise CliError(f"no speaker or group {args.speaker!r} in the config")
    if not speakers:
        raise CliError("the config has no speakers")
    voice = args.voice or config.broadcast.voice
    async with Speech(config.store.data_dir.resolve() / "tts-cache", config.broadcast.cache_mb) as speech:
        try:
            wav = await speech.render(args.text, voice, config.broadcast.rate_wpm)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    return [await _play_on(device, wav) for device in speakers]


async def _play_on(device: Any, wav: Any) -> str:
    async def emit(_event: Any) -> None:
        return None

    driver = driver_class(device.kind)(device, emit)
    try:
        await driver.connect()
        result = await driver.execute(Command("speaker.play", {"wav_path": str(wav)}, source="cli"))
    finally:
        await driver.close()
    if not result.ok:
        raise CliError(f"{device.id}: {result.detail}")
    where = result.data.get("path")
    return f"{device.id}: played {result.data.get('duration_s', 0):.1f} s" + (f", written to {where}" if where else "")
