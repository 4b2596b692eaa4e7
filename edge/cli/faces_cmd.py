"""``edge faces …``: enroll residents, import a folder, identify photos, watch a video, remove a person.

Every action works on a store file (``--db``, default the configured data
directory's ``events.db``), beside a running daemon if there is one: the
daemon notices new and removed templates within ``[faces] refresh_s``.
Photos are never kept: only templates and the photo's sha256.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from edge.cli.common import CliError, add_config_option
from edge.cli.faces_context import FacesContext, open_context

WATCH_HELP = "run the gate camera pipeline on a video file; one line per decision"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("faces", help="the residents' face gallery: enroll, identify, watch")
    inner = parser.add_subparsers(dest="faces_command", metavar="ACTION", required=True)
    enroll = _action(inner, "enroll", "enroll one person from photos (one face per photo)", faces_enroll)
    enroll.add_argument("--person-id", required=True, help="the resident's id (the district's, if known)")
    enroll.add_argument("--name", required=True)
    enroll.add_argument("--category", help="resident, tenant, staff, ... (grants may name it)")
    enroll.add_argument("--replace", action="store_true", help="drop the person's earlier templates")
    enroll.add_argument("--force", action="store_true", help="enroll even a face already enrolled as someone else")
    enroll.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    folder = _action(inner, "import", "enroll a folder holding one folder of photos per person", faces_import)
    folder.add_argument("dir", type=Path, metavar="DIR")
    folder.add_argument("--category", help="category for everyone imported")
    identify = _action(inner, "identify", "who is in these photos", faces_identify)
    identify.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    identify.add_argument("--json", action="store_true", help="one JSON object per image")
    watch = _action(inner, "watch", WATCH_HELP, faces_watch)
    watch.add_argument("video", type=Path, metavar="VIDEO")
    watch.add_argument("--gate", help="the gate whose grants apply (default: the first face camera's gate)")
    watch.add_argument("--at", type=datetime.fromisoformat, help="wall time of the first frame (default: now)")
    watch.add_argument("--json", action="store_true", help="one JSON object per decision")
    watch.add_argument("--stats", action="store_true", help="at the end, what the pipeline did, to stderr")
    remove = _action(inner, "remove", "erase a person's templates (and, with --resident, the resident)", faces_remove)
    remove.add_argument("--person-id", required=True)
    remove.add_argument("--resident", action="store_true", help="also remove the resident record")
    calibrate = _action(inner, "calibrate", "distance distributions over a folder of people", faces_calibrate)
    calibrate.add_argument("dir", type=Path, metavar="DIR")
    calibrate.add_argument("--json", action="store_true")


def _action(inner: argparse._SubParsersAction, name: str, help_: str, handler) -> argparse.ArgumentParser:
    parser = inner.add_parser(name, help=help_)
    add_config_option(parser)
    parser.add_argument("--db", type=Path, metavar="PATH", help="store file (default: the configured data dir's)")
    parser.set_defaults(handler=lambda args: asyncio.run(handler(args)))
    return parser


async def faces_enroll(args: argparse.Namespace) -> int:
    from edge.vision.faces.enroll import encode_person, refuse_lookalikes, store_person

    for image in args.images:
        if not image.is_file():
            raise CliError(f"no such image: {image}")
    async with open_context(args) as ctx:
        photos = encode_person(ctx.still_engine(), args.person_id, args.images)
        if not args.force:
            refuse_lookalikes(photos, await ctx.gallery(), ctx.faces.threshold)
        for path, reason in photos.rejected:
            print(f"rejected {path}: {reason}", file=sys.stderr)
        if not photos.accepted:
            raise CliError(f"nothing enrolled for {args.person_id}: no usable photo")
        ids = await store_person(ctx.writer, photos, name=args.name, category=args.category, replace=args.replace)
    print(f"enrolled {args.person_id} ({args.name}): {len(ids)} template(s), {len(photos.rejected)} photo(s) rejected")
    return 1 if photos.rejected else 0


async def faces_import(args: argparse.Namespace) -> int:
    from edge.vision.faces.enroll import import_folder, refuse_lookalikes, store_person

    if not args.dir.is_dir():
        raise CliError(f"no such folder: {args.dir}")
    async with open_context(args) as ctx:
        people = import_folder(ctx.still_engine(), args.dir, _progress)
        gallery = await ctx.gallery()
        enrolled = templates = 0
        for person in people:
            refuse_lookalikes(person, gallery, ctx.faces.threshold)
            if person.accepted:
                ids = await store_person(ctx.writer, person, name=person.person_id, category=args.category)
                enrolled, templates = enrolled + 1, templates + len(ids)
    rejected = [(p.person_id, path, why) for p in people for path, why in p.rejected]
    print(f"imported {enrolled} of {len(people)} people, {templates} templates; {len(rejected)} photos rejected")
    for person_id, path, why in rejected:
        print(f"  rejected {person_id}/{path.name}: {why}")
    return 1 if rejected else 0


def _progress(done: int, total: int, name: str) -> None:
    if not sys.stderr.isatty():
        return
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:30]:<30}", end=end, file=sys.stderr)


async def faces_identify(args: argparse.Namespace) -> int:
    from edge.vision.faces.offline import MediaError, identify_image

    async with open_context(args) as ctx:
        gallery = await ctx.gallery()
        engine, rules = ctx.still_engine(), ctx.faces.match_rules()
        failed = 0
        for image in args.images:
            try:
                result = identify_image(engine, gallery, rules, image)
            except MediaError as exc:
                print(f"edge: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(json.dumps(result) if args.json else _identify_text(result), flush=True)
    return 1 if failed else 0


def _identify_text(result: dict) -> str:
    faces = result["faces"]
    parts = [
        f"{f['person_id'] or 'unknown'}" + (f" ({f['distance']:.3f})" if f["distance"] is not None else "")
        for f in faces
    ]
    return f"{result['image']}: " + (", ".join(parts) if parts else "no face")


async def faces_watch(args: argparse.Namespace) -> int:
    from edge.vision.faces.offline import MediaError, watch_video
    from edge.vision.faces.pipeline import PipelineStats

    if not args.video.is_file():
        raise CliError(f"no such video: {args.video}")
    async with open_context(args) as ctx:
        gallery, access = await ctx.gallery(), await ctx.access(args.gate)
        analyzer = await ctx.start_workers()
        start, stats = args.at or datetime.now(UTC), PipelineStats()
        if start.tzinfo is None:
            start = start.replace(tzinfo=ctx.timezone)
        try:
            async for decision in watch_video(
                args.video, analyzer, gallery, access, start=start, pipeline_options=ctx.pipeline_options(), stats=stats,
            ):
                line = {"frame": decision.frame, "person_id": decision.person_id,
                        "decision": decision.kind, "distance": decision.distance}
                print(json.dumps(line) if args.json else _watch_text(decision), flush=True)
        except MediaError as exc:
            raise CliError(str(exc)) from None
    if args.stats:
        counts = {k: v for k, v in vars(stats).items() if k != "last_analyse_ms"}
        print(json.dumps({"stats": counts}), file=sys.stderr)
    return 0


def _watch_text(decision) -> str:
    who = decision.person_id or "unknown face"
    distance = f" distance {decision.distance:.3f}" if decision.distance is not None else ""
    return f"frame {decision.frame}: {decision.kind} {who}{distance} ({decision.reason})"


async def faces_remove(args: argparse.Namespace) -> int:
    async with open_context(args) as ctx:
        templates, resident = await ctx.remove_person(args.person_id, with_resident=args.resident)
    print(f"removed {templates} template(s) of {args.person_id}" + (", and the resident" if resident else ""))
    return 0 if templates or resident else 1


async def faces_calibrate(args: argparse.Namespace) -> int:
    from edge.vision.faces.calibrate import calibrate, render_text

    if not args.dir.is_dir():
        raise CliError(f"no such folder: {args.dir}")
    ctx = FacesContext.for_files(args)
    report = calibrate(ctx.still_engine(), args.dir)
    print(json.dumps(report) if args.json else render_text(report))
    return 0
