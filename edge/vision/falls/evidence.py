"""Evidence for a detected fall: a clip around the event and one annotated picture.

The daemon takes the frames from N s before the release to M s after out of
its frame ring (:mod:`.ring`); the CLI re-reads them from the file. Then
:func:`write_evidence` — pure and blocking, meant for a worker — writes the
clip and a JPEG with the trajectory, release point and floor label drawn on
it. The daemon attaches both to the event as media.

The clip is H.264 in MP4 (``+faststart``), which every browser plays, encoded
by the system's ``ffmpeg`` fed raw frames on a pipe. Where ``ffmpeg`` is
missing or fails, OpenCV writes MPEG-4 Part 2 instead (a media player opens
it; a browser does not), and failing that Motion JPEG in AVI.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import structlog

from edge.vision.falls.detector import FallEvent

log = structlog.get_logger(__name__)
H264_CRF = 26  # quality: 23 is x264's default, higher is smaller; a façade is mostly still


@dataclass(frozen=True)
class Evidence:
    clip: Path
    picture: Path


def write_evidence(frames: list[tuple[int, np.ndarray]], event: FallEvent, calibration_size: tuple[int, int],
                   fps: float, directory: Path, stem: str) -> Evidence:
    """Write ``stem``.mp4 (or .avi when no MPEG-4 encoder is available) and ``stem``.jpg into ``directory``."""
    if not frames:
        raise ValueError("no frames to write")
    directory.mkdir(parents=True, exist_ok=True)
    height, width = frames[0][1].shape[:2]
    clip = _write_clip([f for _, f in frames], fps, (width, height), directory / stem)
    scale = (width / calibration_size[0], height / calibration_size[1])
    index = min(frames, key=lambda item: abs(item[0] - event.release_frame))[0]
    still = next(f for i, f in frames if i == index)
    picture = directory / f"{stem}.jpg"
    if not cv2.imwrite(str(picture), annotate(still, event, scale)):
        raise OSError(f"cannot write {picture}")
    return Evidence(clip, picture)


def _write_clip(frames: list[np.ndarray], fps: float, size: tuple[int, int], stem: Path) -> Path:
    path = stem.with_suffix(".mp4")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is not None:
        try:
            return _write_h264(ffmpeg, frames, fps, size, path)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("falls.h264_failed", error=str(exc), fallback="mp4v")
            path.unlink(missing_ok=True)
    for suffix, codec in ((".mp4", "mp4v"), (".avi", "MJPG")):
        path = stem.with_suffix(suffix)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
        if not writer.isOpened():
            continue
        try:
            for frame in frames:
                writer.write(_bgr(frame))
        finally:
            writer.release()
        if path.stat().st_size > 0:
            return path
    raise OSError(f"no video codec could write {stem}")


def _write_h264(ffmpeg: str, frames: list[np.ndarray], fps: float, size: tuple[int, int], path: Path) -> Path:
    """Frames piped raw into ffmpeg's libx264, one at a time (a clip is too big to hold twice)."""
    width, height = size
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "pipe:0",
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",  # 4:2:0 needs even sides
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(H264_CRF), "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(path),
    ]
    errors = path.with_suffix(".log")
    try:
        with errors.open("wb") as stderr:
            code = _pipe(command, frames, stderr)
        message = errors.read_text(errors="replace").strip()
    finally:
        errors.unlink(missing_ok=True)
    if code != 0 or not path.exists() or path.stat().st_size == 0:
        raise subprocess.SubprocessError(f"ffmpeg exited {code}: {message[-300:]}")
    return path


def _pipe(command: list[str], frames: list[np.ndarray], stderr: object) -> int | None:
    """Run ``command`` with the frames on its stdin; its exit code (None: it stopped reading)."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
    assert process.stdin is not None
    try:
        for frame in frames:
            process.stdin.write(np.ascontiguousarray(_bgr(frame)).tobytes())
        process.stdin.close()
        return process.wait(timeout=60 + len(frames) / 5)
    except BrokenPipeError:  # it gave up: its exit code and messages say why
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
    except BaseException:
        process.kill()
        process.wait()
        raise


def _bgr(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def annotate(frame: np.ndarray, event: FallEvent, scale: tuple[float, float]) -> np.ndarray:
    """A copy of ``frame`` with the track, the release point and the floor label drawn."""
    image = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    points = np.array([[x * scale[0], y * scale[1]] for _, x, y in event.track], np.float32)
    cv2.polylines(image, [np.round(points).astype(np.int32)], False, (0, 0, 255), 2, cv2.LINE_AA)
    ox, oy = round(event.origin[0] * scale[0]), round(event.origin[1] * scale[1])
    cv2.circle(image, (ox, oy), 8, (0, 255, 255), 2, cv2.LINE_AA)
    label = f"floor {event.floor}" + (f" (or {event.floor_alt})" if event.floor_alt is not None else "")
    label += f"  conf {event.confidence:.2f}"
    anchor = (max(5, ox + 12), max(20, oy - 10))
    cv2.putText(image, label, anchor, cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(image, label, anchor, cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 1, cv2.LINE_AA)
    return image
