"""Numba kernels that spread drifted charge over the (wire, row) pixels of a plane image.

Each deposit arrives at a plane as a 2-D Gaussian: centred on its wire coordinate
w = −y·sinθ + z·cosθ and its arrival time, of widths σ_T (transverse diffusion) across the
wires and σ_L/v_d (longitudinal diffusion, plus the signal-processing filter for unipolar
signals) in time. The fraction of it in a pixel is the product of erf differences over the
pixel's edges (exact integration, not point sampling). The Gaussian is followed to ±3σ and
its farther tails (0.27 %) are folded into the outermost bins, so that charge is conserved
except where the image edge cuts it. Every pixel also remembers the label of the deposit
that gave it the most (absolute) signal.

Rows are local to a segment; ``reverse`` flips them into image rows (second TPC of the
two-TPC layout). Only the columns [w_lo, w_hi) and local rows [r_lo, r_hi) are written.

The dense buffers of a plane come with a flag per (wire, block of 16 rows) that is set
wherever signal is written, so that later passes visit only those blocks. They are reused
from call to call (one set per thread): a full SBND plane is 24 MB, whose fresh allocation
and first-touch page faults would otherwise cost more than the physics.
"""

from __future__ import annotations

from contextlib import contextmanager
import math
import threading
from typing import Iterator, NamedTuple

import numba
import numpy as np

BLOCK_SHIFT = 4          # blocks of 2**4 = 16 rows
N_SIGMA = 3.0            # Gaussians are integrated bin by bin out to ±3σ, tails folded into the edge bins
_MAX_SPAN = 256          # pixels per axis a single deposit may cover (wider Gaussians are cut)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_POOL = threading.local()


class Projection(NamedTuple):
    """How deposits map onto one segment of a plane image (all floats, for the kernels)."""

    sin_angle: float       # wire angle from the vertical
    cos_angle: float
    w_start_cm: float      # wire coordinate of the lower edge of image column 0
    pitch_cm: float
    t_offset_us: float     # added to the anode time: plane-gap drift minus the segment start time
    bin_us: float          # duration of one time bin (a row, or a tick for bipolar signals)
    filter_us: float       # Gaussian time blur added in quadrature to the longitudinal diffusion
    scale: float           # signal per electron


class Target(NamedTuple):
    """Where a segment lands in the image, and which pixels may be written."""

    row_offset: int
    n_rows: int
    reverse: bool
    w_lo: int              # image columns [w_lo, w_hi)
    w_hi: int
    r_lo: int              # local rows [r_lo, r_hi)
    r_hi: int


class PlaneBuffers(NamedTuple):
    """Dense accumulators of one plane image (axis 0 wire, axis 1 row)."""

    value: np.ndarray    # float32 signal
    best: np.ndarray     # float32 largest |contribution| of a single deposit
    label: np.ndarray    # uint8 label code of that deposit
    blocks: np.ndarray   # uint8 flag per (wire, 16-row block) holding signal


def allocate_buffers(shape: tuple[int, int]) -> PlaneBuffers:
    """Zeroed buffers for a (wires, rows) image."""
    n_blocks = (shape[1] + (1 << BLOCK_SHIFT) - 1) >> BLOCK_SHIFT
    return PlaneBuffers(np.zeros(shape, np.float32), np.zeros(shape, np.float32),
                        np.zeros(shape, np.uint8), np.zeros((shape[0], n_blocks), np.uint8))


@contextmanager
def plane_buffers(shape: tuple[int, int]) -> Iterator[PlaneBuffers]:
    """Zeroed buffers, reused across calls; the user must leave them zeroed (noise_and_extract does).

    Buffers are returned to the pool only when the block exits normally, so an error never
    leaves dirty buffers behind.
    """
    buffers = getattr(_POOL, "buffers", None)
    _POOL.buffers = None
    if buffers is None or buffers.value.shape != tuple(shape):
        buffers = allocate_buffers(tuple(shape))
    yield buffers
    _POOL.buffers = buffers


@numba.njit(cache=True)
def _span(centre, sigma, lo, hi):
    """Bins [a, b) reached by centre ± N_SIGMA·sigma within [lo, hi), and whether each end is open
    (not cut by lo/hi), in which case the Gaussian tail beyond it is folded into the end bin."""
    reach = N_SIGMA * sigma
    a0 = math.floor(centre - reach)
    b0 = math.floor(centre + reach) + 1
    if b0 - a0 > _MAX_SPAN:
        a0 = math.floor(centre) - _MAX_SPAN // 2
        b0 = a0 + _MAX_SPAN
    return max(a0, lo), min(b0, hi), a0 >= lo, b0 <= hi


@numba.njit(cache=True)
def _bin_weights(out, centre, sigma, a, b, open_lo, open_hi):
    """Gaussian fraction in the unit bins [k, k + 1), k in [a, b), written to out[0 : b − a]."""
    scale = _INV_SQRT2 / max(sigma, 1e-9)
    lower = -1.0 if open_lo else math.erf((a - centre) * scale)
    for k in range(b - a):
        if k == b - a - 1 and open_hi:
            upper = 1.0
        else:
            upper = math.erf((a + k + 1 - centre) * scale)
        out[k] = 0.5 * (upper - lower)
        lower = upper


@numba.njit(cache=True)
def _wire_centre(y, z, proj):
    """Column (in wire pitches, fractional) of a deposit's wire coordinate."""
    return (-y * proj.sin_angle + z * proj.cos_angle - proj.w_start_cm) / proj.pitch_cm


@numba.njit(cache=True)
def _deposit(value, best, label, blocks, w, row, c, code):
    """Add c to a pixel, keep the label of its largest contributor and flag its block."""
    value[w, row] += c
    blocks[w, row >> BLOCK_SHIFT] = 1
    if abs(c) > best[w, row]:
        best[w, row] = abs(c)
        label[w, row] = code


@numba.njit(cache=True)
def accumulate_gaussian(y, z, t_us, sigma_long_us, sigma_trans_cm, charge_e, code, tpc, seg_tpc,
                        proj, target, value, best, label, blocks):
    """Unipolar signal: charge·scale·(wire fraction)·(row fraction) into every pixel a deposit reaches."""
    ww = np.empty(_MAX_SPAN)
    wr = np.empty(_MAX_SPAN)
    filter2 = proj.filter_us ** 2
    for i in range(len(charge_e)):
        if tpc[i] != seg_tpc:
            continue
        u = _wire_centre(y[i], z[i], proj)
        su = sigma_trans_cm[i] / proj.pitch_cm
        wa, wb, wa_open, wb_open = _span(u, su, target.w_lo, target.w_hi)
        if wa >= wb:
            continue
        v = (t_us[i] + proj.t_offset_us) / proj.bin_us
        sv = math.sqrt(sigma_long_us[i] ** 2 + filter2) / proj.bin_us
        ra, rb, ra_open, rb_open = _span(v, sv, target.r_lo, target.r_hi)
        if ra >= rb:
            continue
        _bin_weights(ww, u, su, wa, wb, wa_open, wb_open)
        _bin_weights(wr, v, sv, ra, rb, ra_open, rb_open)
        q = charge_e[i] * proj.scale
        for j in range(wb - wa):
            qw = q * ww[j]
            for m in range(rb - ra):
                local = ra + m
                row = target.row_offset + (target.n_rows - 1 - local if target.reverse else local)
                _deposit(value, best, label, blocks, wa + j, row, qw * wr[m], code[i])


@numba.njit(cache=True)
def accumulate_bipolar(y, z, t_us, sigma_long_us, sigma_trans_cm, charge_e, code, tpc, seg_tpc,
                       proj, target, own, beside, zero, ticks_per_row, value, best, label, blocks):
    """Raw-like signal: the tick-level charge profile convolved with the own-wire and ±1-wire responses.

    ``proj.bin_us`` is one tick; the response kernels are indexed so that kernel[zero] is the
    arrival tick. The result is summed over the ticks of each row.
    """
    n_kernel = len(own)
    ww = np.zeros(_MAX_SPAN + 3)
    wt = np.empty(_MAX_SPAN)
    max_rows = (_MAX_SPAN + n_kernel) // ticks_per_row + 3
    rows_own = np.empty(max_rows)
    rows_beside = np.empty(max_rows)
    n_ticks = target.n_rows * ticks_per_row
    for i in range(len(charge_e)):
        if tpc[i] != seg_tpc:
            continue
        u = _wire_centre(y[i], z[i], proj)
        su = sigma_trans_cm[i] / proj.pitch_cm
        wa, wb, wa_open, wb_open = _span(u, su, target.w_lo - 1, target.w_hi + 1)
        t = (t_us[i] + proj.t_offset_us) / proj.bin_us
        st = sigma_long_us[i] / proj.bin_us
        ta, tb, ta_open, tb_open = _span(t, st, -n_kernel, n_ticks + n_kernel)
        if wa >= wb or ta >= tb:
            continue
        ww[:wb - wa + 3] = 0.0
        _bin_weights(ww[1:], u, su, wa, wb, wa_open, wb_open)     # ww[1 + j] ↔ column wa + j, zero-padded
        _bin_weights(wt, t, st, ta, tb, ta_open, tb_open)
        first_row = (ta - zero) // ticks_per_row
        n_span = (tb - 1 + n_kernel - 1 - zero) // ticks_per_row - first_row + 1
        rows_own[:n_span] = 0.0
        rows_beside[:n_span] = 0.0
        for m in range(tb - ta):
            for k in range(n_kernel):
                slot = (ta + m + k - zero) // ticks_per_row - first_row
                rows_own[slot] += wt[m] * own[k]
                rows_beside[slot] += wt[m] * beside[k]
        q = charge_e[i] * proj.scale
        for j in range(-1, wb - wa + 1):
            col = wa + j
            if col < target.w_lo or col >= target.w_hi:
                continue
            c_own = q * ww[1 + j]
            c_beside = q * ((ww[j] if j >= 0 else 0.0) + ww[j + 2])
            for s in range(n_span):
                local = first_row + s
                if local < target.r_lo or local >= target.r_hi:
                    continue
                row = target.row_offset + (target.n_rows - 1 - local if target.reverse else local)
                _deposit(value, best, label, blocks, col, row, c_own * rows_own[s] + c_beside * rows_beside[s],
                         code[i])
