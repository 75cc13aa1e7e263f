"""Hit finding on signal-processed (deconvolved-like) wire waveforms, as LArSoft's GausHitFinder does it.

The input is a plane buffer (binning.PlaneBuffers) whose rows are single ticks: the unipolar
signal per tick, whose sum over a pulse is the pulse area (the hit integral). Per wire:

1. regions: runs of ticks above ``threshold`` (GausHitFinder's MinSig), widened on both
   sides while the signal stays above a quarter of it, so that a hit's charge is the whole
   pulse area as a Gaussian fit would give it, and noise crossing the threshold back and
   forth in a tail does not cut it into slivers;
2. candidates: a region is cut at a local minimum between two local maxima above threshold
   when the minimum is below ``dip_fraction`` of the lower maximum, so that separate pulses on one wire (two
   particles, or a kink in time) give separate hits while one smooth pulse gives one;
3. long pulses: a candidate longer than ``max_single_ticks`` cannot be fitted by one Gaussian
   (a track running along the drift direction leaves a long plateau on one wire); it is cut
   into ceil(length / ``long_pulse_ticks``) equal slices, one hit each at the slice centre
   (GausHitFinder's LongPulseWidth / LongMaxHits treatment);
4. a hit's time is the charge-weighted mean tick of its ticks (the fitted Gaussian's mean),
   its charge the sum (the fitted area), its label the label of its largest tick.

Optional white noise (RMS ``noise_rms`` per tick, same units as the signal) is added to every
tick that is scanned, i.e. to the flagged 16-tick blocks of a wire (where signal was written).
The buffers are zeroed as they are read, ready for the next plane.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from argonet.sim.binning import BLOCK_SHIFT, PlaneBuffers

TAIL_FRACTION = 0.25     # a region runs on while the signal stays above this fraction of the threshold
HIT_DTYPE = np.dtype([("wire", np.int32), ("tick", np.float64), ("charge", np.float64), ("label", np.uint8)])


@numba.njit(cache=True)
def _emit(trace, codes, a, b, w, wire, tick, charge, label, n, centre):
    """Append the hit made of ticks [a, b) of a wire (time = weighted mean, or the slice centre)."""
    q = 0.0
    qt = 0.0
    peak = a
    for k in range(a, b):
        q += trace[k]
        qt += trace[k] * (k + 0.5)
        if trace[k] > trace[peak]:
            peak = k
    if q <= 0.0:
        return n
    wire[n] = w
    tick[n] = 0.5 * (a + b) if centre else qt / q
    charge[n] = q
    label[n] = codes[peak]
    return n + 1


@numba.njit(cache=True)
def _candidate(trace, codes, a, b, w, max_single, long_width, wire, tick, charge, label, n):
    """One candidate pulse [a, b): one hit, or equal slices of about long_width ticks."""
    length = b - a
    if length <= max_single:
        return _emit(trace, codes, a, b, w, wire, tick, charge, label, n, False)
    pieces = int(math.ceil(length / long_width))
    for p in range(pieces):
        lo = a + (length * p) // pieces
        hi = a + (length * (p + 1)) // pieces
        n = _emit(trace, codes, lo, hi, w, wire, tick, charge, label, n, True)
    return n


@numba.njit(cache=True)
def _region(trace, codes, a, b, w, threshold, dip, max_single, long_width, wire, tick, charge, label, n):
    """Split the above-threshold run [a, b) at deep minima between maxima, then make its hits."""
    start = a
    top = a                     # the highest tick of the current candidate
    low = a                     # the lowest tick after ``top`` (== top while none is lower)
    for k in range(a + 1, b):
        v = trace[k]
        if low == top:
            if v >= trace[top]:
                top = k
            low = k
            continue
        peak = v > trace[k - 1] and (k + 1 >= b or v >= trace[k + 1])
        if peak or v >= trace[top]:
            # a second maximum after a minimum: cut at the minimum if both maxima pass the threshold
            # and the dip is deep enough
            if v > threshold and trace[top] > threshold and trace[low] < dip * min(trace[top], v):
                n = _candidate(trace, codes, start, low, w, max_single, long_width, wire, tick, charge, label, n)
                start, top, low = low, k, k
                continue
            if v >= trace[top]:
                top, low = k, k
                continue
        if v < trace[low]:
            low = k
    return _candidate(trace, codes, start, b, w, max_single, long_width, wire, tick, charge, label, n)


@numba.njit(cache=True)
def _run(value, best, lab, w, lo, hi, threshold, dip, max_single, long_width, noise, used,
         trace, codes, wire, tick, charge, label, n):
    """Hits of ticks [lo, hi) of wire w (a run of flagged blocks), zeroing the buffers there."""
    for k in range(lo, hi):
        trace[k] = value[w, k]
        codes[k] = lab[w, k]
        value[w, k] = 0.0
        best[w, k] = 0.0
        lab[w, k] = 0
    if len(noise):
        for k in range(lo, hi):
            trace[k] += noise[used + k - lo]
    k = lo
    done = lo                   # ticks before this belong to a hit already
    tail = TAIL_FRACTION * threshold
    while k < hi:
        if trace[k] > threshold:
            s = k
            while k < hi and trace[k] > threshold:
                k += 1
            while s > done and trace[s - 1] > tail:        # take in the tails, as a fit would
                s -= 1
            e = k
            while e < hi and trace[e] > tail:
                e += 1
            n = _region(trace, codes, s, e, w, threshold, dip, max_single, long_width, wire, tick, charge, label,
                        n)
            done = k = e
        else:
            k += 1
    return n


@numba.njit(cache=True)
def _find(value, best, lab, blocks, threshold, dip, max_single, long_width, noise,
          trace, codes, wire, tick, charge, label):
    """Scan the runs of flagged blocks of every wire; returns the number of hits written to the arrays.

    Signal is only ever written inside flagged blocks, so a run of ticks above threshold never
    crosses an unflagged block and each run of consecutive flagged blocks is scanned on its own.
    """
    n = 0
    used = 0                    # noise values consumed
    n_blocks = blocks.shape[1]
    n_rows = value.shape[1]
    for w in range(value.shape[0]):
        blk = 0
        while blk < n_blocks:
            if not blocks[w, blk]:
                blk += 1
                continue
            first = blk
            while blk < n_blocks and blocks[w, blk]:
                blocks[w, blk] = 0
                blk += 1
            lo, hi = first << BLOCK_SHIFT, min(blk << BLOCK_SHIFT, n_rows)
            n = _run(value, best, lab, w, lo, hi, threshold, dip, max_single, long_width, noise, used,
                     trace, codes, wire, tick, charge, label, n)
            used += hi - lo
    return n


def find_hits(buffers: PlaneBuffers, threshold: float, *, dip_fraction: float = 0.6, max_single_ticks: int = 24,
              long_pulse_ticks: float = 10.0, noise_rms: float = 0.0, seed: int = 0) -> np.ndarray:
    """Hits (HIT_DTYPE: buffer wire, tick from row 0, charge = area, label code) of a plane; zeroes the buffers."""
    n_rows = buffers.value.shape[1]
    trace = np.zeros(n_rows)
    codes = np.zeros(n_rows, np.uint8)
    capacity = int(buffers.blocks.sum()) << BLOCK_SHIFT        # a hit holds at least one flagged tick
    wire, tick, charge, label = (np.empty(capacity, np.int32), np.empty(capacity), np.empty(capacity),
                                 np.empty(capacity, np.uint8))
    noise = (np.random.default_rng(seed).standard_normal(capacity) * noise_rms if noise_rms > 0
             else np.zeros(0))
    n = _find(*buffers, float(threshold), float(dip_fraction), int(max_single_ticks), float(long_pulse_ticks),
              noise, trace, codes, wire, tick, charge, label)
    hits = np.empty(n, HIT_DTYPE)
    hits["wire"], hits["tick"], hits["charge"], hits["label"] = wire[:n], tick[:n], charge[:n], label[:n]
    return hits
