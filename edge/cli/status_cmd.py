"""``edge status``: ask the running daemon, over its control socket, how its devices are."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from edge.cli.common import CliError, add_config_option, load

_MARK = {"online": "●", "degraded": "◐", "offline": "○"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="device health of the running daemon")
    add_config_option(parser)
    parser.add_argument("--socket", type=Path, help="control socket (default: <data_dir>/run/edge.sock)")
    parser.add_argument("--json", action="store_true", help="print the daemon's answer as JSON")
    parser.set_defaults(handler=show_status)


def socket_path(args: argparse.Namespace) -> Path:
    if args.socket:
        return args.socket
    return load(args).store.data_dir.resolve() / "run" / "edge.sock"


def show_status(args: argparse.Namespace) -> int:
    status = asyncio.run(fetch_status(socket_path(args)))
    if args.json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    else:
        print(render(status))
    return 0 if status["counts"].get("offline", 0) == 0 else 2


async def fetch_status(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise CliError(f"the daemon is not running (no control socket at {path})", exit_code=3)
    try:
        async with (
            aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(path))) as session,
            session.get("http://edge/status", timeout=aiohttp.ClientTimeout(total=5)) as response,
        ):
            response.raise_for_status()
            return await response.json()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise CliError(f"the daemon does not answer on {path}: {exc}", exit_code=3) from None


def render(status: dict[str, Any]) -> str:
    counts = status["counts"]
    lines = [
        f"box {status['box_id']}  version {status['version']}  up {status['uptime_s']:.0f} s"
        f"  last seq {status['store']['last_seq']}  clock {'synced' if status['clock_synced'] else 'NOT synced'}",
        f"devices: {counts.get('online', 0)} online, {counts.get('degraded', 0)} degraded, "
        f"{counts.get('offline', 0)} offline",
    ]
    uplink = status.get("uplink")
    if uplink:
        state = f"FAILING: {uplink['failing']}" if uplink["failing"] else "ok"
        stats = uplink["stats"]
        lines.append(f"uplink ({', '.join(uplink['transports'])}): {state}; sent {stats['sent']},"
                     f" rejected {stats['rejected']}, dropped {stats['dropped']}")
    faces = status.get("faces")
    if faces:
        lines.append(_faces_line(faces))
    falls = status.get("falls")
    if falls:
        lines.append(_falls_line(falls))
    for device in status["devices"]:
        reason = f"  ({device['reason']})" if device["reason"] else ""
        seen = device["last_seen"] or "never"
        lines.append(
            f"  {_MARK.get(device['state'], '?')} {device['device_id']:<20} {device['kind']:<18}"
            f" {device['state']:<9} since {device['since']}  seen {seen}{reason}"
        )
    return "\n".join(lines)


def _faces_line(faces: dict[str, Any]) -> str:
    if faces.get("error"):
        return f"faces: UNAVAILABLE: {faces['error']}"
    cameras = "; ".join(
        f"{camera_id} {c['frames']} frames, {c['analysed']} analysed, {c['encoded']} faces encoded"
        for camera_id, c in faces["cameras"].items()
    )
    return f"faces: {faces['templates']} templates of {faces['people']} people" + (f"; {cameras}" if cameras else "")


def _falls_line(falls: dict[str, Any]) -> str:
    parts = [f"{cid} {c['frames']} frames at {c['fps']:g} fps, {c['events']} falls" for cid, c in falls["cameras"].items()]
    parts += [f"{cid} NOT ANALYSED: {error}" for cid, error in falls["errors"].items()]
    return "falls: " + ("; ".join(parts) if parts else "starting")
