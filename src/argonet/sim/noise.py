"""Electronics noise: dense raw-waveform noise, and exact sparse noise for zero-suppressed images.

Noise RMS values are those of the *digitised* signal (what a pedestal-RMS measurement gives,
lartpc-physics.md §1.1 and §9 #13): the analog RMS put in before rounding to integer ADC is
√(σ² − 1/12), the rounding adding the uniform quantisation variance 1/12 ADC² back.

Raw waveforms (dense): white Gaussian noise filtered with the shaper response
h(t) = (t/t_p)^n·exp(n(1 − t/t_p)) (§1.5) and scaled to the RMS; coherent noise is one such
waveform per group of 32 consecutive wires, added to all of them.

Images (sparse): an image pixel carries white noise, incoherent of RMS σ_i (the plane's RMS ×
noise_scale) plus coherent c of RMS σ_c, one value per (32-wire group, row) cell. Drawing
7.8 M Gaussians per full SBND event is too slow, so per cell we draw c, then

* pixels with signal get exact noise: value + c + σ_i·N(0, 1);
* among the n signal-free pixels, each is above the zero-suppression cut t independently
  with p = P(c + σ_i·N > t), so their number is Binomial(n, p); those pixels are placed
  uniformly among the free ones and take c + σ_i·z with z drawn from the Gaussian tail above
  (t − c)/σ_i.

Conditionally on c this is exactly the distribution of dense white noise after zero
suppression; pixels below the cut are never materialised.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from argonet import units
from argonet.sim.binning import BLOCK_SHIFT
from argonet.sim.detector import Detector
from argonet.sim.xoshiro import below, new_state, normals, uniform

_QUANTISATION_VAR_ADC2 = 1.0 / 12.0    # variance of rounding to integer ADC counts
_SQRT2 = math.sqrt(2.0)
_GROUP_WIRES = units.coherent_noise_group_wires


def analog_noise_rms(digitised_rms_ADC: float) -> float:
    """Analog RMS giving digitised_rms_ADC once rounded to integer ADC counts."""
    return math.sqrt(max(digitised_rms_ADC ** 2 - _QUANTISATION_VAR_ADC2, 0.0))


def shaper_response(t_us: np.ndarray, shaping_us: float) -> np.ndarray:
    """Cold-electronics impulse response (peak 1) at times after the charge (§1.5 closed form)."""
    t_peak_us = units.shaping_peak_factor * shaping_us
    n = units.shaping_power
    ratio = np.maximum(np.asarray(t_us, dtype=np.float64), 0.0) / t_peak_us
    return ratio ** n * np.exp(n * (1.0 - ratio))


def convolve_ticks(signal: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Full linear convolution of every row of signal with kernel (FFT on a power-of-two length)."""
    size = signal.shape[1] + len(kernel) - 1
    fft_size = 1 << max(size - 1, 1).bit_length()
    product = np.fft.rfft(signal, fft_size, axis=1) * np.fft.rfft(kernel, fft_size)
    return np.fft.irfft(product, fft_size, axis=1)[:, :size]


def electronics_noise(n_wires: int, n_ticks: int, rms_ADC: float, detector: Detector,
                      rng: np.random.Generator) -> np.ndarray:
    """Shaped Gaussian noise waveforms (n_wires, n_ticks) of the given analog RMS in ADC."""
    if rms_ADC <= 0 or n_wires == 0 or n_ticks == 0:
        return np.zeros((n_wires, n_ticks))
    t_peak_us = units.shaping_peak_factor * detector.shaping_us
    h = shaper_response(np.arange(0.0, 8.0 * t_peak_us, detector.tick_us), detector.shaping_us)
    white = rng.standard_normal((n_wires, n_ticks + len(h) - 1))
    shaped = convolve_ticks(white, h)[:, len(h) - 1:n_ticks + len(h) - 1]   # steady state only
    return shaped * (rms_ADC / math.sqrt(np.sum(h * h)))


def group_noise(n_wires: int, n_ticks: int, rms_ADC: float, first_wire: int, detector: Detector,
                rng: np.random.Generator) -> np.ndarray:
    """Coherent noise: one shaped waveform per group of 32 detector wires, shared by its wires."""
    group = (first_wire + np.arange(n_wires)) // units.coherent_noise_group_wires
    groups, inverse = np.unique(group, return_inverse=True)
    return electronics_noise(len(groups), n_ticks, rms_ADC, detector, rng)[inverse]


@numba.njit(cache=True)
def _normal_tail(state, a):
    """A standard normal variate conditioned on x ≥ a (exponential-proposal rejection for a > 0.5)."""
    if a < 0.5:
        pair = np.empty(2)
        while True:
            normals(state, pair)
            if pair[0] >= a:
                return pair[0]
    rate = 0.5 * (a + math.sqrt(a * a + 4.0))
    while True:
        z = a - math.log(uniform(state)) / rate
        if math.log(uniform(state)) <= -0.5 * (z - rate) ** 2:
            return z


@numba.njit(cache=True)
def _binomial(state, n, p):
    """Binomial(n, p) by inversion of the CDF; meant for the small n (≤ 32) of a wire group."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    flip = p > 0.5                      # count failures instead, so that (1 − p)^n cannot underflow
    if flip:
        p = 1.0 - p
    f = 1.0                             # (1 − p)^n by repeated squaring
    base = 1.0 - p
    e = n
    while e > 0:
        if e & 1:
            f *= base
        base *= base
        e >>= 1
    ratio = p / (1.0 - p)
    u = uniform(state)
    k = 0
    while u > f and k < n:
        u -= f
        k += 1
        f *= ratio * (n - k + 1) / k
    return n - k if flip else k


@numba.njit(cache=True)
def _reserve(out, n, extra):
    """The (id, value, label) rows of out, with room for n + extra of them (the first n kept)."""
    if n + extra <= out.shape[0]:
        return out
    bigger = np.empty((max(2 * out.shape[0], n + extra), 3))
    for i in range(n):                  # element loop: 2-D slice assignment compiles very slowly
        for j in range(3):
            bigger[i, j] = out[i, j]
    return bigger


@numba.njit(cache=True)
def _signal_pixels(value, label, blocks, a, b, r_lo, count, coherent, sigma_i, noise, state, gauss):
    """Visit the signal pixels of columns [a, b): unlabel those below 0.5 ADC, count them per row
    and, when asked, add coherent[row] + sigma_i·N(0, 1) (``gauss`` is scratch space)."""
    n_signal = 0
    used = len(gauss)
    for w in range(a, b):
        for k in range(blocks.shape[1]):
            if blocks[w, k] == 0:
                continue
            for r in range(k << BLOCK_SHIFT, min((k + 1) << BLOCK_SHIFT, value.shape[1])):
                s = value[w, r]
                if s != 0.0:
                    if abs(s) < 0.5:
                        label[w, r] = 0
                    if noise:
                        if used == len(gauss):
                            normals(state, gauss)
                            used = 0
                        value[w, r] = s + coherent[r - r_lo] + sigma_i * gauss[used]
                        used += 1
                    count[r - r_lo] += 1
                    n_signal += 1
    return n_signal


@numba.njit(cache=True)
def _free_noise(value, blocks, count, coherent, a, b, r_lo, sigma_i, cut, state, noise_wire, noise_row, noise_value):
    """Binomial count, position and tail value of the signal-free above-cut pixels of one wire group.

    The pixels are listed (wire, row, value) in increasing row order, not written to the image.
    """
    placed = 0
    for r in range(len(count)):
        n_free = (b - a) - count[r]
        if n_free <= 0:
            continue
        if sigma_i > 0.0:
            p = 0.5 * math.erfc((cut - coherent[r]) / (sigma_i * _SQRT2))
        else:
            p = 1.0 if coherent[r] >= cut else 0.0
        k = _binomial(state, n_free, p)
        row = r_lo + r
        first = placed
        for _ in range(k):
            while True:                       # uniform among the pixels still free in this cell
                w = a + below(state, b - a)
                taken = blocks[w, row >> BLOCK_SHIFT] != 0 and value[w, row] != 0.0
                for j in range(first, placed):
                    taken = taken or noise_wire[j] == w
                if not taken:
                    break
            z = _normal_tail(state, (cut - coherent[r]) / sigma_i) if sigma_i > 0.0 else 0.0
            noise_wire[placed] = w
            noise_row[placed] = row
            noise_value[placed] = coherent[r] + sigma_i * z
            placed += 1
    return placed


@numba.njit(cache=True)
def _by_wire(noise_wire, noise_row, noise_value, m, a, b, starts, sorted_row, sorted_value):
    """Counting sort of m listed pixels by wire (rows stay increasing); starts[w − a] opens each wire."""
    starts[:] = 0
    for i in range(m):
        starts[noise_wire[i] - a + 1] += 1
    for w in range(b - a):
        starts[w + 1] += starts[w]
    fill = starts.copy()
    for i in range(m):
        slot = fill[noise_wire[i] - a]
        sorted_row[slot] = noise_row[i]
        sorted_value[slot] = noise_value[i]
        fill[noise_wire[i] - a] += 1


@numba.njit(cache=True)
def _extract(value, best, label, blocks, a, b, starts, noise_row, noise_value, out, n):
    """List the pixels of columns [a, b) in C order as rows (id, analog value, label) from n on:
    signal pixels of the flagged blocks merged with the listed noise-only pixels. Clears the
    buffers and flags it visits; returns the new number of rows."""
    n_rows = value.shape[1]
    for w in range(a, b):
        nxt = starts[w - a]
        end = starts[w - a + 1]
        for k in range(blocks.shape[1]):
            if blocks[w, k] == 0:
                continue
            blocks[w, k] = 0
            for r in range(k << BLOCK_SHIFT, min((k + 1) << BLOCK_SHIFT, n_rows)):
                if value[w, r] == 0.0:
                    continue
                while nxt < end and noise_row[nxt] < r:
                    out[n, 0] = w * n_rows + noise_row[nxt]
                    out[n, 1] = noise_value[nxt]
                    out[n, 2] = 0.0
                    n += 1
                    nxt += 1
                out[n, 0] = w * n_rows + r
                out[n, 1] = value[w, r]
                out[n, 2] = label[w, r]
                n += 1
                value[w, r] = 0.0
                best[w, r] = 0.0
                label[w, r] = 0
        for j in range(nxt, end):
            out[n, 0] = w * n_rows + noise_row[j]
            out[n, 1] = noise_value[j]
            out[n, 2] = 0.0
            n += 1
    return n


@numba.njit(cache=True)
def _noisy_pixels(value, best, label, blocks, first_wire, w_lo, w_hi, r_lo, sigma_i, sigma_c, cut, noise, state,
                  coherent, count, gauss, noise_wire, noise_row, noise_value, sorted_row, sorted_value, starts):
    """Rows (pixel id, analog signal + noise, label) of every signal pixel and every noise-only pixel
    above ``cut``, ids ascending; scratch arrays come from the caller (one row per image row in
    coherent/count, one slot per pixel of a wire group in the noise lists)."""
    out = np.empty((4096, 3))
    n = len(out) - len(out)              # an int64 zero (a literal 0 would specialise the callees)
    for g in range((first_wire + w_lo) // _GROUP_WIRES, (first_wire + w_hi - 1) // _GROUP_WIRES + 1):
        a = max(g * _GROUP_WIRES - first_wire, w_lo)
        b = min((g + 1) * _GROUP_WIRES - first_wire, w_hi)
        if noise and sigma_c > 0.0:
            normals(state, coherent)
            for r in range(len(coherent)):
                coherent[r] *= sigma_c
        count[:] = 0
        n_kept = _signal_pixels(value, label, blocks, a, b, r_lo, count, coherent, sigma_i, noise, state, gauss)
        m = _free_noise(value, blocks, count, coherent, a, b, r_lo, sigma_i, cut, state,
                        noise_wire, noise_row, noise_value) if noise else 0
        _by_wire(noise_wire, noise_row, noise_value, m, a, b, starts, sorted_row, sorted_value)
        out = _reserve(out, n, n_kept + m)
        n = _extract(value, best, label, blocks, a, b, starts, sorted_row, sorted_value, out, n)
    return out[:n]


def noise_and_extract(buffers, first_wire: int, wires: tuple[int, int], rows: tuple[int, int], sigma_i: float,
                      sigma_c: float, threshold: float, adc_range: tuple[float, float], noise: bool,
                      seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add noise, digitise and zero-suppress a plane: (ids ascending, values, label codes).

    ``buffers`` (binning.PlaneBuffers) hold the noise-free signal in ADC, nonzero only inside
    flagged row blocks of the image columns ``wires`` = [lo, hi) and rows ``rows`` = [lo, hi);
    pixels whose |signal| < 0.5 ADC lose their label (noise only: background). Digitised values
    are rint(signal + noise) clipped to adc_range; pixels above threshold are kept. The buffers
    are left zeroed, ready for the next plane.
    """
    (w_lo, w_hi), (r_lo, r_hi) = wires, rows
    n_rows = max(r_hi - r_lo, 0)
    if n_rows == 0 or w_hi <= w_lo:
        return np.zeros(0, np.uint64), np.zeros(0, np.float32), np.zeros(0, np.uint8)
    slots = _GROUP_WIRES * n_rows if noise else 0
    scratch = (np.zeros(n_rows), np.zeros(n_rows, np.int64), np.zeros(1024), np.zeros(slots, np.int64),
               np.zeros(slots, np.int64), np.zeros(slots), np.zeros(slots, np.int64), np.zeros(slots),
               np.zeros(_GROUP_WIRES + 1, np.int64))
    cut = math.floor(threshold) + 0.5          # rint(x) > threshold  <=>  x >= cut
    pixels = _noisy_pixels(*buffers, first_wire, w_lo, w_hi, r_lo, sigma_i, sigma_c, cut, noise, new_state(seed),
                           *scratch)
    digitised = np.clip(np.rint(pixels[:, 1]), *adc_range)
    keep = digitised > threshold
    return (pixels[keep, 0].astype(np.uint64), digitised[keep].astype(np.float32),
            pixels[keep, 2].astype(np.uint8))
