"""Noise left by signal processing, added sparsely to a plane and extracted with the signal (signal_processing.py).

Per group of 32 wires the RMS is the plane's RMS times the group's fixed factor. Pixels with signal get exact
noise σ·N(0, 1). Noise-only pixels above the cut t are the exceedances of an AR(1) process along the rows of
each wire: per row, the number of runs starting among the n free pixels is Binomial(n, P(x_r ≥ t, x_{r−1} < t)),
each run starting on a uniformly chosen free wire with a value from the Gaussian tail above t and going on
with x_{r+1} = ρ·x_r + √(1 − ρ²)·z while it stays above t and meets no signal pixel. (The first value is
drawn from the plain tail, not the tail given x_{r−1} < t: the runs are very slightly longer than exact.)
Values are continuous; the noise pixels are written into the dense buffers, labelled background, and listed
with the signal by noise._extract.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from argonet import units
from argonet.sim.binning import BLOCK_SHIFT
from argonet.sim.noise import _binomial, _extract, _normal_tail, _reserve, _signal_pixels
from argonet.sim.signal_processing import group_noise_factors, run_start_probability
from argonet.sim.xoshiro import below, new_state, normals

_GROUP_WIRES = units.coherent_noise_group_wires
_MAX_PICKS = 64           # tries to find a free wire for a run start before giving the start up


@numba.njit(cache=True)
def _runs(value, label, blocks, a, b, r_lo, r_hi, count, sigma, rho, cut, p_start, state):
    """Runs of above-cut noise on the free pixels of wires [a, b); returns the number of pixels written."""
    a_std = cut / sigma
    s = math.sqrt(1.0 - rho * rho)
    z = np.empty(2)
    placed = 0
    for r in range(r_lo, r_hi):
        k = _binomial(state, (b - a) - count[r - r_lo], p_start)
        for _ in range(k):
            w = -1
            for _try in range(_MAX_PICKS):
                pick = a + below(state, b - a)
                if value[pick, r] == 0.0:
                    w = pick
                    break
            if w < 0:
                continue
            x = _normal_tail(state, a_std)
            row = r
            while True:
                value[w, row] = sigma * x
                label[w, row] = 0
                blocks[w, row >> BLOCK_SHIFT] = 1
                placed += 1
                row += 1
                if row >= r_hi or value[w, row] != 0.0:
                    break
                normals(state, z)
                x = rho * x + s * z[0]
                if x < a_std:
                    break
    return placed


@numba.njit(cache=True)
def _sp_pixels(value, best, label, blocks, first_wire, w_lo, w_hi, r_lo, r_hi, sigma_g, p_start_g, rho, cut,
               noise, state, coherent, count, gauss, starts, no_rows, no_values):
    """Rows (pixel id, signal + noise, label) of every signal pixel and noise run pixel, ids ascending."""
    out = np.empty((4096, 3))
    n = len(out) - len(out)
    for g in range((first_wire + w_lo) // _GROUP_WIRES, (first_wire + w_hi - 1) // _GROUP_WIRES + 1):
        a = max(g * _GROUP_WIRES - first_wire, w_lo)
        b = min((g + 1) * _GROUP_WIRES - first_wire, w_hi)
        count[:] = 0
        sigma = sigma_g[g]
        on = noise and sigma > 0.0
        n_kept = _signal_pixels(value, label, blocks, a, b, r_lo, count, coherent, sigma, on, state, gauss)
        m = _runs(value, label, blocks, a, b, r_lo, r_hi, count, sigma, rho, cut, p_start_g[g], state) if on else 0
        out = _reserve(out, n, n_kept + m)
        n = _extract(value, best, label, blocks, a, b, starts, no_rows, no_values, out, n)
    return out[:n]


def sp_noise_and_extract(buffers, plane: int, first_wire: int, wires: tuple[int, int], rows: tuple[int, int],
                         sigma_ADC: float, group_spread: float, rho: float, threshold: float, noise: bool,
                         seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add processed-readout noise to a plane and keep pixels ≥ threshold: (ids ascending, values, label codes).

    Like noise.noise_and_extract, but with continuous values, no coherent noise, per-group RMS and
    row-correlated noise runs; the buffers are left zeroed.
    """
    (w_lo, w_hi), (r_lo, r_hi) = wires, rows
    if r_hi <= r_lo or w_hi <= w_lo:
        return np.zeros(0, np.uint64), np.zeros(0, np.float32), np.zeros(0, np.uint8)
    n_groups = (first_wire + w_hi - 1) // _GROUP_WIRES + 1
    sigma_g = sigma_ADC * group_noise_factors(n_groups, group_spread, plane)
    cut = float(threshold)
    p_start = run_start_probability(cut / np.maximum(sigma_g, 1e-12), rho) if sigma_ADC > 0 else np.zeros(n_groups)
    scratch = (np.zeros(r_hi - r_lo), np.zeros(r_hi - r_lo, np.int64), np.zeros(1024),
               np.zeros(_GROUP_WIRES + 1, np.int64), np.zeros(0, np.int64), np.zeros(0))
    pixels = _sp_pixels(*buffers, first_wire, w_lo, w_hi, r_lo, r_hi, sigma_g, p_start, float(rho), cut,
                        noise and sigma_ADC > 0, new_state(seed), *scratch)
    keep = pixels[:, 1] >= threshold
    return (pixels[keep, 0].astype(np.uint64), pixels[keep, 1].astype(np.float32),
            pixels[keep, 2].astype(np.uint8))
