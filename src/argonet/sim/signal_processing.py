"""Signal-processing stage of full-chain LArTPC readouts (``response.signal_processing``): what the real chain
(noise filter → 2-D deconvolution → ROI selection, lartpc-physics.md §1.5, §1.6; [S2], [S4]) leaves in an
image, applied to the noise-free charge of the dense plane buffers and to the noise.

* **Truth labels** come from the deposited charge (after drift and diffusion), not from the processed
  waveform: a pixel keeps the label of its largest contributor only when that charge reaches
  ``label_threshold_MeV`` (CosmicTagger's labelling threshold of 0.04 MeV per pixel, §1.6) converted to ADC.
* **Software filter**: the charge is then blurred along time by the Gaussian filter of the processing
  (``filter_sigma_ticks``, discretised on the image rows), which no longer enters the labels.
* **Processing response**: deconvolution with an imperfect (regularised) field response and the
  software filters spreads a fraction ``halo`` of every pixel's charge over its neighbours: a separable
  kernel of Gaussian weights over ±2 wires and ±3 rows (discretised, normalised, charge conserving), the
  rest staying in place; the fraction is larger on the induction planes, whose bipolar response
  deconvolves worse. Charge moved onto pixels below the label
  threshold stays *background*: the halo of unlabelled charge hugging real tracks.
* **Noise after processing**: coherent noise is removed by the noise filter; what is left is incoherent,
  of a per-plane RMS (larger on induction planes, whose deconvolution amplifies low frequencies), varying
  from channel group to channel group (log-normal spread: noisy front-end boards), and correlated from one
  row to the next by the low-pass filters (an AR(1) process of row-to-row correlation ρ). Exceedances above
  the storage threshold therefore come in runs of rows on one wire: runs start with the exact stationary
  probability P(x_r ≥ t, x_{r−1} < t) and continue along the AR(1) recursion (sp_noise.py).
* Charge values are continuous (no integer ADC rounding); pixels ≥ threshold_ADC are stored.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from argonet import units
from argonet.sim.binning import BLOCK_SHIFT
from argonet.sim.ionization import recombination

HALO_WIRES = 2           # reach of the processing kernel across wires
HALO_ROWS = 3            # and along time rows


def gaussian_weights(sigma: float, reach: int) -> np.ndarray:
    """Normalised Gaussian weights over offsets −reach..reach (a delta for sigma ≤ 0)."""
    offsets = np.arange(-reach, reach + 1, dtype=np.float64)
    if sigma <= 0:
        return (offsets == 0).astype(np.float64)
    w = np.exp(-0.5 * (offsets / sigma) ** 2)
    return w / w.sum()


def label_threshold_ADC(threshold_MeV: float, adc_per_electron: float, field_kV_per_cm: float) -> float:
    """Noise-free pixel charge (ADC) of threshold_MeV deposited by a MIP: E/W × recombination × ADC per e⁻."""
    surviving = float(recombination(units.mip_dEdx_MeV_per_cm, field_kV_per_cm))
    return threshold_MeV * units.electrons_per_MeV * surviving * adc_per_electron


@numba.njit(cache=True)
def _flag(blocks, w, row):
    """Flag the block of a pixel as holding signal."""
    blocks[w, row >> BLOCK_SHIFT] = 1


@numba.njit(cache=True)
def _spread(value, blocks, w, r, c, kernel_w, kernel_r, w_lo, w_hi, r_lo, r_hi):
    """Add c·kernel_w[i]·kernel_r[j] to the pixels around (w, r) inside [w_lo, w_hi) × [r_lo, r_hi)."""
    hw = (len(kernel_w) - 1) // 2
    hr = (len(kernel_r) - 1) // 2
    for i in range(len(kernel_w)):
        ww = w + i - hw
        if ww < w_lo or ww >= w_hi or kernel_w[i] == 0.0:
            continue
        for j in range(len(kernel_r)):
            rr = r + j - hr
            if rr < r_lo or rr >= r_hi or kernel_r[j] == 0.0:
                continue
            value[ww, rr] += c * kernel_w[i] * kernel_r[j]
            _flag(blocks, ww, rr)


@numba.njit(cache=True)
def process(value, best, label, blocks, w_lo, w_hi, r_lo, r_hi, label_min, filter_r, halo, kernel_w, kernel_r):
    """Unlabel pixels below label_min, then spread every pixel's charge in place: 1 − halo of it along the rows
    with the filter filter_r, halo of it with kernel_w ⊗ kernel_r.

    ``best`` is used as scratch and left zeroed; newly reached pixels are flagged in ``blocks``.
    """
    n_blocks = blocks.shape[1]
    n_rows = value.shape[1]
    centre = np.ones(1)
    for w in range(w_lo, w_hi):                     # pass 1: label cut, move the charge to scratch
        for k in range(n_blocks):
            if blocks[w, k] == 0:
                continue
            for r in range(k << BLOCK_SHIFT, min((k + 1) << BLOCK_SHIFT, n_rows)):
                s = value[w, r]
                if s != 0.0:
                    if s < label_min:
                        label[w, r] = 0
                    best[w, r] = s
                    value[w, r] = 0.0
                else:
                    best[w, r] = 0.0
    for w in range(w_lo, w_hi):                     # pass 2: spread (only scratch charge moves)
        for k in range(n_blocks):
            if blocks[w, k] == 0:
                continue
            for r in range(k << BLOCK_SHIFT, min((k + 1) << BLOCK_SHIFT, n_rows)):
                s = best[w, r]
                if s == 0.0:
                    continue
                best[w, r] = 0.0
                _spread(value, blocks, w, r, (1.0 - halo) * s, centre, filter_r, w_lo, w_hi, r_lo, r_hi)
                if halo != 0.0:
                    _spread(value, blocks, w, r, halo * s, kernel_w, kernel_r, w_lo, w_hi, r_lo, r_hi)


def group_noise_factors(n_groups: int, spread: float, plane: int) -> np.ndarray:
    """Fixed per-group noise RMS multipliers of one plane (log-normal quantiles, median 1): its noisy boards."""
    if spread <= 0:
        return np.ones(n_groups)
    from scipy import special               # here: importing scipy.special costs runs that never get here ~0.5 s

    quantiles = special.ndtri((np.arange(n_groups) + 0.5) / n_groups)      # the same spread on every plane,
    rng = np.random.default_rng(20_240_000 + plane)                          # in an order fixed per plane
    return np.exp(spread * rng.permutation(quantiles))


def run_start_probability(a: np.ndarray, rho: float) -> np.ndarray:
    """P(x_r ≥ a, x_{r−1} < a) for a stationary unit Gaussian AR(1) of lag-one correlation rho."""
    a = np.asarray(a, np.float64)
    tail = 0.5 * np.vectorize(math.erfc)(a / math.sqrt(2.0))
    if rho <= 0:
        return tail * (1.0 - tail)
    s = math.sqrt(1.0 - rho * rho)
    x = a[:, None] + np.linspace(0.0, 8.0, 257)[None, :]            # ∫_a^∞ φ(x) P(y ≥ a | x) dx
    phi = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    cond = 0.5 * np.vectorize(math.erfc)((a[:, None] - rho * x) / (s * math.sqrt(2.0)))
    both = np.trapezoid(phi * cond, x, axis=1)
    return np.clip(tail - both, 0.0, 1.0)
