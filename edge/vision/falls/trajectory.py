"""Is a track something falling under gravity, and where was it released?

Heights are measured in floors through the calibration (its continuous
*level*), so perspective does not bend the parabola and the gravity band
follows from the calibration and the storey height. A track passes when:

* it has enough points over enough time;
* over its first ``fit_window_s`` (later, drag makes a long fall linear) its
  height fits ``z(t) = z0 + v0 t - a t^2 / 2`` with ``a`` inside the band
  (a fraction of g, allowing for air drag and calibration error), with a small
  residual, and the quadratic clearly beats a straight line (F-test);
* it descends monotonically after the apex;
* its points stray from its curve (the parabola, or gravity with air drag) no
  more than its own jitter explains: the jitter, measured from the second differences of consecutive points, is what
  one object's position wobbles by; a chain of leaves handing the track on to
  one another jumps at each hand-over by many times that;
* it is not two objects each moving steadily, one handing the track on to the
  other: a fall accelerates all along, so two straight lines never fit it far
  better than its curve;
* it was seen in most frames of its span, and where it was hidden for a while
  it reappears where and as fast as gravity says: the pieces either side of a
  gap fit one parabola, and each falls as fast as that parabola says there (a
  track hopping between leaves does neither); a piece too short to check, or
  short for how long it was unseen before, is dropped;
* its horizontal motion is smooth (a low-order curve: perspective and drag bend
  it a little, swaying does not fit) and not faster than a throw;
* it fell at least ``min_fall_floors``.

The release point is the apex of a fit of the track's first
``release_window_s`` with gravity known (air drag bends longer falls): the
observed apex when it lies within the track, else extrapolated backwards (the
throw started unseen), within ``max_extrapolation_s``; beyond that, by a fit
with air drag over the whole track (:mod:`.drag`), as an object seen only
late is near its terminal speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edge.vision.falls.calibration import FloorCalibration
from edge.vision.falls.drag import apex_with_drag, drag_fit_rms

G = 9.81


@dataclass(frozen=True)
class TrajectoryConfig:
    storey_m: float = 3.0
    min_points: int = 6
    min_duration_s: float = 0.3
    min_density: float = 0.6  # share of the frames in its span a track was seen in
    fit_window_s: float = 1.6  # the parabola is fitted on the track's first seconds
    accel_band_g: tuple[float, float] = (0.3, 1.7)
    max_residual_floors: float = 0.12
    max_residual_jitter_ratio: float = 5.5  # RMS residual from the fall's curve / the track's own point jitter
    min_jitter_px: float = 0.4  # below this, a track's jitter is taken as this (centroid quantisation)
    max_curve_to_lines: float = 2.0  # RMS from the fall's curve / from two steady straight pieces
    min_f_statistic: float = 12.0
    max_vx_floors_s: float = 3.0  # 9 m/s across the façade: faster is a bird, not a throw
    max_x_residual_floors: float = 0.25
    min_fall_floors: float = 1.5
    max_extrapolation_s: float = 0.8  # with gravity alone; further back, drag is fitted too
    max_drag_extrapolation_s: float = 3.0
    release_window_s: float = 0.8  # the release is fitted on this much of the track's start
    rise_tolerance_floors: float = 0.1
    gap_frames: int = 3  # a track with a longer gap is pieces, and each must continue the last
    join_level_tolerance: float = 0.2  # floors, of any point of two joined pieces from their joint fit
    join_accel_band_g: tuple[float, float] = (0.2, 2.0)  # of the joint fit (short pieces: a loose estimate)
    join_x_tolerance_floors: float = 0.4
    terminal_floors_s: float = 3.0  # across a gap this fast (9 m/s), a near-zero acceleration is drag
    join_speed_tolerance: float = 0.5  # floors per second, at least (more when a piece is short)
    join_sideways_tolerance: float = 1.0  # the same, sideways: drag slows a light object's sideways speed fast
    join_noise_floors: float = 0.03  # how precisely one point's height is known
    min_density_occluded: float = 0.4  # a track in pieces that continue one another
    min_piece_points: int = 3  # a piece seen between gaps must be this long to be joined
    max_gap_per_piece_point: float = 2.5  # a piece after a gap of g frames needs g / this points to count


@dataclass(frozen=True)
class Release:
    t: float  # seconds after the first point (negative: before it)
    x: float
    level: float
    observed: bool  # the apex lies within the observed span


@dataclass(frozen=True)
class TrajectoryVerdict:
    accepted: bool
    reason: str
    accel_ms2: float = 0.0
    residual_floors: float = 0.0
    fall_floors: float = 0.0
    points: int = 0
    release: Release | None = None
    confidence: float = 0.0
    track: tuple[tuple[float, float, float], ...] = ()  # the points judged (see :func:`verifiable`)


def evaluate(track: list[tuple[float, float, float]], calibration: FloorCalibration, fps: float,
             config: TrajectoryConfig | None = None) -> TrajectoryVerdict:
    """Judge a track of (frame, x, y) points in calibration pixels, observed at ``fps``."""
    c = config or TrajectoryConfig()
    track = verifiable(track, c)
    n = len(track)
    if n < c.min_points:
        return TrajectoryVerdict(False, "too_few_points", points=n)
    frames = np.array([p[0] for p in track], float)
    t = (frames - frames[0]) / fps
    if t[-1] < c.min_duration_s:
        return TrajectoryVerdict(False, "too_short", points=n)
    pieces = _pieces(track, c)
    density = c.min_density if len(pieces) == 1 else c.min_density_occluded
    if n < density * (frames[-1] - frames[0] + 1):
        return TrajectoryVerdict(False, "too_sparse", points=n)
    if not _pieces_continue(pieces, calibration, fps, c):
        return TrajectoryVerdict(False, "pieces_do_not_continue", points=n)
    xs = np.array([p[1] for p in track])
    z = np.array([calibration.level(p[1], p[2]) for p in track])
    head = t <= t[0] + c.fit_window_s  # drag makes long falls linear: judge the shape on the start
    th, zh, xh = t[head], z[head], xs[head]
    quad = np.polyfit(th, zh, 2)
    sse_q = _sse(np.polyval(quad, th), zh)
    sse_l = _sse(np.polyval(np.polyfit(th, zh, 1), th), zh)
    accel = -2.0 * quad[0] * c.storey_m
    residual = math.sqrt(sse_q / len(th))
    fall = float(z.max() - z[-1])
    verdict = {"accel_ms2": accel, "residual_floors": residual, "fall_floors": fall, "points": n}
    f_stat = (sse_l - sse_q) / max(sse_q / max(len(th) - 3, 1), 1e-9)
    reason = _shape_problem(th, xh, zh, quad, residual, f_stat, accel, calibration, c)
    if reason is None and not _descends_after_apex(t, z, quad, max(c.rise_tolerance_floors, 3 * residual)):
        reason = "not_monotone"
    if reason is None:
        reason = _curve_problem(frames[head], th, xh, zh, residual, calibration, c)
    if reason is None and fall < c.min_fall_floors:
        reason = "fall_too_small"
    if reason is not None:
        return TrajectoryVerdict(False, reason, **verdict)
    release = _release(t, xs, z, c)
    confidence = _confidence(accel, residual, n, fall, release, c)
    return TrajectoryVerdict(True, "ok", release=release, confidence=confidence, track=tuple(track), **verdict)


def _sse(fitted: np.ndarray, observed: np.ndarray) -> float:
    return float(((fitted - observed) ** 2).sum())


def _shape_problem(t: np.ndarray, xs: np.ndarray, z: np.ndarray, quad: np.ndarray, residual: float,
                   f_stat: float, accel: float, calibration: FloorCalibration,
                   c: TrajectoryConfig) -> str | None:
    lo, hi = c.accel_band_g
    if accel <= 0:
        return "not_accelerating_down"
    if not lo * G <= accel <= hi * G:
        return "acceleration_out_of_band"
    if residual > c.max_residual_floors:
        return "residual_too_large"
    if f_stat < c.min_f_statistic:
        return "not_clearly_quadratic"
    if not _descends_after_apex(t, z, quad, max(c.rise_tolerance_floors, 3 * residual)):
        return "not_monotone"
    floor_px = _floor_px(calibration, xs, z)
    vx = np.polyfit(t, xs, 1)[0]
    # perspective (the façade narrows upwards) and drag bend x(t) smoothly; swaying does not fit
    x_residual = math.sqrt(_sse(np.polyval(np.polyfit(t, xs, 2), t), xs) / len(t)) / floor_px
    if x_residual > c.max_x_residual_floors:
        return "horizontal_not_linear"
    if abs(vx) / floor_px > c.max_vx_floors_s:
        return "horizontal_too_fast"
    return None


def _curve_problem(frames: np.ndarray, t: np.ndarray, xs: np.ndarray, z: np.ndarray, residual: float,
                   calibration: FloorCalibration, c: TrajectoryConfig) -> str | None:
    """Is the fall's curve (the parabola, ``residual``, else gravity with air drag, which bends a light
    object's longer fall off its parabola: :func:`~.drag.drag_fit_rms`) what the heights follow?

    * ``jumps_beyond_jitter``: they stray from it by more than the track's own jitter explains;
    * ``two_steady_pieces``: two straight lines, split anywhere, fit far better than the curve, and
      the curve misses by more than jitter: two objects each moving steadily (snow or leaves at
      their own speeds), one handing the track on to the other, not one accelerating fall.
    """
    jitter = max(_jitter(frames, z), c.min_jitter_px / _floor_px(calibration, xs, z))
    drag: list[float] = []  # the drag fit, computed once and only when the parabola is not enough

    def curve() -> float:
        if not drag:
            drag.append(drag_fit_rms(t, z, G / c.storey_m, c.storey_m, c.max_extrapolation_s, c.accel_band_g))
        return min(residual, drag[0])

    limit = c.max_residual_jitter_ratio * jitter
    if residual > limit and curve() > limit:
        return "jumps_beyond_jitter"
    lines = c.max_curve_to_lines * _two_lines_rms(t, z)
    if residual > lines and curve() > max(lines, 1.5 * jitter):
        return "two_steady_pieces"
    return None


def _two_lines_rms(t: np.ndarray, z: np.ndarray, least: int = 4) -> float:
    """RMS residual of the best fit by two straight lines, each through ``least`` or more consecutive
    points (inf when there are too few), from running sums over every split."""
    n = len(t)
    if n < 2 * least:
        return math.inf
    z = z - z.mean()
    t = t - t.mean()

    def sse(k: np.ndarray, s1: np.ndarray, st: np.ndarray, sz: np.ndarray, stt: np.ndarray,
            stz: np.ndarray, szz: np.ndarray) -> np.ndarray:  # of a line through k points, from their sums
        var_t = stt - st * st / k
        cov = stz - st * sz / k
        return (szz - sz * sz / k) - cov * cov / np.maximum(var_t, 1e-12)

    sums = [np.cumsum(v) for v in (np.ones(n), t, z, t * t, t * z, z * z)]
    head = [v[least - 1:n - least] for v in sums]  # the first k points, k = least .. n - least
    tail = [v[-1] - h for v, h in zip(sums, head, strict=True)]
    total = sse(head[0], *head) + sse(tail[0], *tail)
    return math.sqrt(max(float(total.min()), 0.0) / n)


def _jitter(frames: np.ndarray, z: np.ndarray) -> float:
    """How much one point's height wobbles (floors): a robust spread of the second differences
    of runs of consecutive points, where a smooth fall's own curvature is a constant offset.
    0 when fewer than three runs of three were seen."""
    step = np.diff(frames)
    if step.size < 2:
        return 0.0
    unit = step.min()
    runs = (step[1:] == unit) & (step[:-1] == unit)
    second = (z[2:] - 2 * z[1:-1] + z[:-2])[runs]
    if second.size < 3:
        return 0.0
    mad = float(np.median(np.abs(second - np.median(second))))
    return 1.4826 * mad / math.sqrt(6.0)  # each second difference sums three points' noise: var 6 sigma^2


def _floor_px(calibration: FloorCalibration, xs: np.ndarray, z: np.ndarray) -> float:
    """Median pixels per floor along the track."""
    x = float(np.median(xs))
    level = float(np.median(z))
    return calibration.floor_height_px(x, calibration.y_at_level(x, level))


def _descends_after_apex(t: np.ndarray, z: np.ndarray, quad: np.ndarray, tolerance: float) -> bool:
    apex = -quad[1] / (2 * quad[0])
    after = z[t >= apex]
    if after.size < 2:
        return False
    lowest = np.minimum.accumulate(after)
    return bool(np.all(after - lowest <= tolerance))


def _release(t: np.ndarray, xs: np.ndarray, z: np.ndarray, c: TrajectoryConfig) -> Release:
    """The apex from the track's first second, fitted with gravity known (drag matters later)."""
    early = t <= t[0] + c.release_window_s
    if early.sum() < 4:
        early = np.arange(len(t)) < 4
    g = G / c.storey_m
    te, ze = t[early], z[early]
    v0, z0 = np.polyfit(te, ze + 0.5 * g * te**2, 1)
    apex = float(v0 / g)
    vx, x0 = np.polyfit(te, xs[early], 1)

    def at(moment: float, observed: bool) -> Release:
        return Release(moment, float(x0 + vx * moment), float(z0 + v0 * moment - 0.5 * g * moment**2), observed)

    if apex >= t[0]:
        return at(apex, True)
    if apex >= -c.max_extrapolation_s:
        return at(apex, False)
    # seen only well after it began: near its terminal speed, where drag decides the way back
    moment, level, _ = apex_with_drag(t, z, g, c.storey_m, c.max_drag_extrapolation_s)
    x = float(x0 + vx * max(moment, -c.max_extrapolation_s))
    return Release(moment, x, level, False)


def _confidence(accel: float, residual: float, n: int, fall: float, release: Release,
                c: TrajectoryConfig) -> float:
    """0..1: how physical the fit is, how much was seen, how sure the release point is."""
    physics = math.exp(-(((accel / G) - 0.9) / 0.5) ** 2)
    fit = math.exp(-((residual / c.max_residual_floors) ** 2))
    seen = min(1.0, n / 20) * min(1.0, fall / 3.0)
    origin = 1.0 if release.observed else max(0.5, 1.0 + release.t / (2 * c.max_extrapolation_s))
    score = (0.3 * physics + 0.3 * fit + 0.4 * seen) * origin
    return round(min(1.0, max(0.0, score)), 3)


def continues(first: list[tuple[float, float, float]], then: list[tuple[float, float, float]],
              calibration: FloorCalibration, fps: float, config: TrajectoryConfig | None = None) -> bool:
    """Do ``first`` and ``then`` (later, after a gap) lie on one fall?

    The end of ``first`` and the start of ``then`` are fitted together: their
    heights must fit one parabola whose acceleration is in the gravity band,
    every point within ``join_level_tolerance`` of it, and their x one line.
    A joint fit weighs each piece by what was seen of it, where comparing the
    speeds of two short pieces would let the noisier one decide.
    """
    c = config or TrajectoryConfig()
    if len(first) < c.min_piece_points or len(then) < c.min_piece_points:
        return False
    points = list(first[-8:]) + list(then[:8])
    t = (np.array([p[0] for p in points], float) - points[0][0]) / fps
    z = np.array([calibration.level(x, y) for _, x, y in points])
    xs = np.array([p[1] for p in points])
    quad = np.polyfit(t, z, 2)
    accel = -2.0 * quad[0] * c.storey_m
    lo, hi = c.join_accel_band_g
    gap_middle = ((first[-1][0] + then[0][0]) / 2 - points[0][0]) / fps
    if -float(np.polyval(np.polyder(quad), gap_middle)) >= c.terminal_floors_s:
        lo = -0.1  # falling this fast, drag has taken over from gravity: no acceleration left to see
    if not lo * G <= accel <= hi * G:
        return False
    if np.abs(np.polyval(quad, t) - z).max() > c.join_level_tolerance:
        return False
    # each piece must also fall as fast as the joint fit says there: a leaf drifting down slowly
    # on either side of a gap fits a parabola through the gap, but not its slope at the ends
    slope = np.polyder(quad)
    pieces = (slice(0, len(first[-8:])), slice(len(first[-8:]), None))  # of ``points``: first's end, then's start
    if not all(_moves_as_fast(t[k], z[k], slope, c) for k in pieces):
        return False
    floor_px = calibration.floor_height_px(float(xs[-1]), float(points[-1][2]))
    if np.abs(np.polyval(np.polyfit(t, xs, 1), t) - xs).max() > c.join_x_tolerance_floors * floor_px:
        return False
    # and sideways: a fall's horizontal speed changes smoothly (drag slows it), so a smooth curve
    # through both pieces must match each piece's own speed; one leaf hands on to another does not
    sideways = np.polyder(np.polyfit(t, xs / floor_px, 2))
    return all(_moves_as_fast(t[k], xs[k] / floor_px, sideways, c, c.join_sideways_tolerance) for k in pieces)


def _moves_as_fast(t: np.ndarray, z: np.ndarray, slope: np.ndarray, c: TrajectoryConfig,
                   tolerance: float | None = None) -> bool:
    """Do a few points' heights (or x, in floors) change as fast as the fitted curve's derivative ``slope`` says there?
    The tolerance grows as the points get fewer and closer together (their speed is less sure)."""
    if len(t) < 3 or t[-1] <= t[0]:
        return True
    span = float(t[-1] - t[0])
    observed = float(np.polyfit(t, z, 1)[0])
    spread = c.join_noise_floors * math.sqrt(12.0 / (len(t) * span * span))
    least = c.join_speed_tolerance if tolerance is None else tolerance
    return abs(observed - float(np.polyval(slope, t.mean()))) <= max(least, 3.0 * spread)


def _pieces(track: list[tuple[float, float, float]], c: TrajectoryConfig) -> list[list[tuple[float, float, float]]]:
    """The track cut where it was unseen for more than ``gap_frames``."""
    cuts = [k for k in range(1, len(track)) if track[k][0] - track[k - 1][0] > c.gap_frames]
    return [track[a:b] for a, b in zip([0, *cuts], [*cuts, len(track)], strict=True)]


def verifiable(track: list[tuple[float, float, float]], config: TrajectoryConfig | None = None
               ) -> list[tuple[float, float, float]]:
    """The track without pieces too short to check against their neighbours (a point or two seen
    across a gap may as well be another leaf): what a fall is judged on."""
    c = config or TrajectoryConfig()
    pieces = _pieces(list(track), c)
    if len(pieces) == 1:
        return list(track)
    kept: list[list[tuple[float, float, float]]] = []
    for piece in pieces:
        if len(piece) < c.min_piece_points:
            continue
        if kept and piece[0][0] - kept[-1][-1][0] > c.max_gap_per_piece_point * len(piece):
            continue  # the longer it was unseen, the likelier a short piece after is something else
        kept.append(piece)
    return [point for piece in kept for point in piece]


def _pieces_continue(pieces: list[list[tuple[float, float, float]]], calibration: FloorCalibration, fps: float,
                     c: TrajectoryConfig) -> bool:
    return all(continues(a, b, calibration, fps, c) for a, b in zip(pieces, pieces[1:], strict=False))
