"""Evidence: the daemon's frame ring stays bounded; a clip and an annotated picture are written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.falls.detector import FallEvent
from edge.vision.falls.evidence import annotate, write_evidence
from edge.vision.falls.ring import JpegRing

EVENT = FallEvent(start_frame=10, end_frame=30, release_frame=9.5, origin=(100.0, 40.0), floor=7, floor_alt=8,
                  confidence=0.9, track=[(f, 100.0 + f, 40.0 + 0.2 * f * f) for f in range(10, 31)])


def test_ring_keeps_the_last_seconds_only() -> None:
    ring = JpegRing(seconds=2, fps=10, width=320)
    for index in range(50):
        ring.push(index, datetime(2026, 11, 27, tzinfo=UTC), np.zeros((4, 4, 3), np.uint8))
    assert len(ring) == 20
    assert [i for i, _ in ring.between(0, 100)] == list(range(30, 50))
    assert [i for i, _ in ring.between(35, 37)] == [35, 36, 37]


def test_clip_and_picture_are_written(tmp_path: Path) -> None:
    frames = [(i, np.full((240, 320, 3), 120, np.uint8)) for i in range(0, 40)]
    evidence = write_evidence(frames, EVENT, (640, 480), 25.0, tmp_path / "media", "cam1-fall1")
    assert evidence.clip.exists() and evidence.clip.stat().st_size > 0
    capture = cv2.VideoCapture(str(evidence.clip))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == 40
    picture = cv2.imread(str(evidence.picture))
    assert picture.shape == (240, 320, 3)
    assert (picture != 120).any()  # something was drawn


def test_annotation_draws_at_the_scaled_origin() -> None:
    image = annotate(np.zeros((240, 320), np.uint8), EVENT, (0.5, 0.5))
    assert image.shape == (240, 320, 3)
    assert image[20 - 8: 20 + 9, 50 - 8: 50 + 9].any()


def _fourcc(path: Path) -> str:
    capture = cv2.VideoCapture(str(path))
    code = int(capture.get(cv2.CAP_PROP_FOURCC))
    capture.release()
    return "".join(chr((code >> (8 * k)) & 0xFF) for k in range(4)).lower()


def _moving_frames(size: tuple[int, int], count: int = 40) -> list[tuple[int, np.ndarray]]:
    width, height = size
    frames = []
    for i in range(count):
        image = np.full((height, width, 3), 90, np.uint8)
        cv2.circle(image, (20 + 5 * i, 30 + i * i // 8), 6, (255, 255, 255), -1)
        frames.append((i, image))
    return frames


def test_the_clip_is_h264_and_odd_sizes_are_padded(tmp_path: Path) -> None:
    evidence = write_evidence(_moving_frames((321, 241)), EVENT, (642, 482), 25.0, tmp_path, "odd")
    assert evidence.clip.suffix == ".mp4" and _fourcc(evidence.clip) in {"avc1", "h264"}
    capture = cv2.VideoCapture(str(evidence.clip))
    sizes = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        sizes.append(frame.shape[:2])
    capture.release()
    assert len(sizes) == 40 and set(sizes) == {(242, 322)}
    assert not list(tmp_path.glob("*.log"))  # ffmpeg's messages are not left behind


def test_without_ffmpeg_the_clip_is_still_written_as_mpeg4(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no ffmpeg on this PATH
    evidence = write_evidence(_moving_frames((320, 240)), EVENT, (640, 480), 25.0, tmp_path, "plain")
    assert evidence.clip.suffix == ".mp4" and _fourcc(evidence.clip) in {"mp4v", "fmp4"}


def test_a_failing_ffmpeg_falls_back_and_leaves_no_half_written_clip(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'Unknown encoder libx264' >&2\nhead -c 1000 >/dev/null\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    evidence = write_evidence(_moving_frames((320, 240)), EVENT, (640, 480), 25.0, tmp_path / "out", "fallback")
    assert _fourcc(evidence.clip) in {"mp4v", "fmp4"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fallback.jpg", "fallback.mp4"]


async def test_a_browser_plays_the_clip(tmp_path: Path) -> None:
    """Debian's Chromium over a loopback HTTP server: the grid worker's phone must play the evidence."""
    import shutil

    from aiohttp import web
    from playwright.async_api import async_playwright

    from tests.api.test_console_browser import CHROMIUM, FLAGS

    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/system-packages.txt)")
    evidence = write_evidence(_moving_frames((320, 240)), EVENT, (640, 480), 25.0, tmp_path, "clip")
    (tmp_path / "index.html").write_text(f'<!doctype html><video muted src="{evidence.clip.name}"></video>')
    app = web.Application()
    app.router.add_static("/media", tmp_path)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await browser.new_page()
                await page.goto(f"http://127.0.0.1:{port}/media/index.html", wait_until="domcontentloaded")
                await page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=10_000)
                shown = await page.evaluate("""async () => {
                    const v = document.querySelector('video');
                    v.currentTime = v.duration - 0.1;
                    await new Promise(done => v.addEventListener('seeked', done, {once: true}));
                    return {width: v.videoWidth, height: v.videoHeight, duration: v.duration, error: v.error};
                }""")
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    assert shown["error"] is None and (shown["width"], shown["height"]) == (320, 240)
    assert abs(shown["duration"] - 40 / 25) < 0.1
