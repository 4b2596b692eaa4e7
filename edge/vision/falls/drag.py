"""Where a fall began when its start was not seen: gravity with air drag, fitted back to the apex.

Light objects (a cigarette packet, a bag, a plant pot's soil) approach their
terminal speed within a second or two, so a fall first seen late looks nearly
linear and a drag-free parabola puts its start far too low. With quadratic
drag, an object falling from rest at the apex ``t_a`` has dropped

    d(t) = (vt² / g) · ln cosh(g (t − t_a) / vt)

by time ``t``, for a terminal speed ``vt``. :func:`apex_with_drag` searches
``vt`` over a range of everyday objects and ``t_a`` over the unseen seconds,
solving the apex height in closed form for each pair, and keeps the best fit.
"""

from __future__ import annotations

import math

import numpy as np

#: terminal speeds tried, m/s: a leaf-light bag to a stone (1000: no drag worth the name)
TERMINAL_SPEEDS_MS = (6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 27.0, 33.0, 40.0, 50.0, 65.0, 80.0, 1000.0)


def apex_with_drag(t: np.ndarray, z: np.ndarray, g: float, storey_m: float, max_back_s: float,
                   step_s: float = 0.02) -> tuple[float, float, float]:
    """(apex time, apex level, terminal speed in m/s) best fitting the fall ``z(t)`` (floors, seconds,
    ``g`` in floors/s²), with the apex at most ``max_back_s`` before the first point."""
    apex_times = np.arange(t[0] - max_back_s, t[0] + 1e-9, step_s)
    best = (math.inf, float(t[0]), float(z[0]), TERMINAL_SPEEDS_MS[-1])
    for terminal in TERMINAL_SPEEDS_MS:
        drop = _drops(t, apex_times, g, terminal / storey_m)
        level = (z[None, :] + drop).mean(axis=1)
        sse = ((level[:, None] - drop - z[None, :]) ** 2).sum(axis=1)
        k = int(np.argmin(sse))
        if sse[k] < best[0]:
            best = (float(sse[k]), float(apex_times[k]), float(level[k]), terminal)
    return best[1], best[2], best[3]


def drag_fit_rms(t: np.ndarray, z: np.ndarray, g: float, storey_m: float, max_back_s: float,
                 scale_band: tuple[float, float], step_s: float = 0.02) -> float:
    """RMS residual (floors) of the best fit ``z = z_a − s·d(t − t_a)`` over the terminal speeds, the apex
    anywhere from ``max_back_s`` before the first point to the last, and ``s`` (the calibration's error
    in the storey height) inside ``scale_band``. ``d`` is taken as even in ``t − t_a``: near the apex,
    where a throw rises, drag hardly matters yet."""
    apex_times = np.arange(t[0] - max_back_s, t[-1] + 1e-9, step_s)
    best = math.inf
    for terminal in TERMINAL_SPEEDS_MS:
        drop = _drops(t, apex_times, g, terminal / storey_m)
        d_mean, z_mean = drop.mean(axis=1), z.mean()
        dd = drop - d_mean[:, None]
        scale = -(dd * (z - z_mean)[None, :]).sum(axis=1) / np.maximum((dd * dd).sum(axis=1), 1e-12)
        scale = np.clip(scale, *scale_band)
        level = z_mean + scale * d_mean
        sse = ((level[:, None] - scale[:, None] * drop - z[None, :]) ** 2).sum(axis=1)
        best = min(best, float(sse.min()))
    return math.sqrt(best / len(t))


def _drops(t: np.ndarray, apex_times: np.ndarray, g: float, vt: float) -> np.ndarray:
    """d(t − t_a) for every apex time (rows) and moment (columns), terminal speed ``vt`` (floors/s)."""
    u = g * (t[None, :] - apex_times[:, None]) / vt
    return (vt * vt / g) * (np.logaddexp(u, -u) - math.log(2.0))
