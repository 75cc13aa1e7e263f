"""DUNE-CVN-style pixel maps (image.mode=cvn): deposits → drifted charge → tick-level signal → hits → maps.

The DUNE CVN does not see wire waveforms but reconstructed hits: each hit adds its integral to
the pixel of its wire and peak time (images.py, "DUNE CVN pixel maps"). So per plane:

1. the drifted charge (drift.py) is spread, as a unipolar signal-processed pulse, over a
   buffer of 1024 wires × 4096 single ticks (binning.accumulate_gaussian) that starts at the
   lowest wire reached (at most 300 wires before the vertex) and is centred on the
   charge-weighted mean time;
2. hits are found on every wire (hits.py: threshold, split at deep dips, long pulses cut into
   ~10-tick hits);
3. hits are binned as the CVN does, giving a 500 × 500 map of 8-bit values (0..255).

Time is the CVN's "global" time across the drift volumes: the arrival tick at the plane, run
backwards for a volume that drifts towards +x, plus the anode's x over v_d, so that it is
x/v_d up to the trigger time (DUNE FD: the two faces of the central APA meet at the APA, the
7.9 cm between their first planes a gap, as in the CVN's unwrapped maps). Wires are counted
along each plane's wire coordinate (lartpc-physics.md §1.4), continuously over the whole face
(the CVN's unwrapped induction views instead jump at APA edges).

Charge scale: a hit's integral is HIT_AREA_ADC_TICK_PER_ELECTRON × its electrons, the one
constant that fixes the map values; it plays the part of the reconstruction's normalisation of
signal-processed waveforms (LArSoft's calorimetry constants for DUNE FD hits are ≈ 5e-3
ADC·tick per electron, recalled). With it a 2.1 MeV/cm track near the anode gives 35 counts per
collection wire (§2.1-§2.2: 30 k e⁻ per 4.79 mm), and the pixel values of simulated DUNE FD
events follow those of the real CVN maps (../shared/data/dune_cvn; most probable ≈ 30 counts,
median ≈ 40). The hit threshold sets the low end of the spectrum (real maps have almost no
pixel below 8 counts, 30 ADC·tick); HIT_MAX_SINGLE_TICKS and HIT_LONG_PULSE_TICKS reproduce the
one-pixel-per-wire tracks up to ≈ 3 time bins per wire and the ≈ 10-tick hit spacing on
steeper ones seen in the real maps. These four values and the default shower cut are the choice
of docs/realism/cvn_constants.py on the adapt half of the real events alone (the 400 of
``argonet simtoreal``'s split): no point of a grid around them agrees better by a material
margin (docs/realism/cvn_constants.json, which also holds the test half's one measurement).
"""

from __future__ import annotations

import math

import numpy as np

from argonet.conf.sim import ResponseConfig
from argonet.event import ImageMeta, SparseImage
from argonet.sim.binning import Projection, Target, accumulate_gaussian, plane_buffers
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector
from argonet.sim.drift import DriftedCharge, drift
from argonet.sim.hits import find_hits
from argonet.sim.images import (CVN_HALF_WINDOW_TICKS, CVN_MAP_WIRES, CVN_TICKS_PER_BIN, CVN_TIME_BINS, CVN_WIRES,
                                cvn_counts, cvn_first_wire, cvn_time_bins)
from argonet.sim.readout import plane_gap_us, wire_coordinate_cm, wire_origin_cm

BUFFER_WIRES = 1024
BUFFER_TICKS = 4096
UPSTREAM_WIRES = 300
HIT_AREA_ADC_TICK_PER_ELECTRON = 5.0e-3
HIT_THRESHOLD = 8.0              # signal per tick (ADC·tick/tick) a hit must exceed
HIT_DIP_FRACTION = 0.6
HIT_MAX_SINGLE_TICKS = 24
HIT_LONG_PULSE_TICKS = 10.0


def drift_sign(detector: Detector, tpc: int) -> float:
    """+1 where arrival time grows with x in a drift volume (cathode at larger x than the anode), else −1."""
    return 1.0 if detector.cathode_of(tpc) > detector.anode_x_cm[tpc] else -1.0


def global_time_us(charge: DriftedCharge, detector: Detector, plane: int) -> np.ndarray:
    """Unwrapped time of every deposit at a plane: ±(arrival time) + anode x / v_d, i.e. x / v_d (µs)."""
    v = detector.drift_velocity_cm_per_us
    sign = np.array([drift_sign(detector, k) for k in range(detector.n_tpcs)])
    offset = np.array([detector.anode_x_cm[k] / v for k in range(detector.n_tpcs)])
    return sign[charge.tpc] * charge.arrival_us(detector, plane) + offset[charge.tpc]


def _buffer_origin(charge: DriftedCharge, detector: Detector, plane: int, vertex_cm) -> tuple[int, float]:
    """First buffer wire and the time (µs) of buffer row 0 for one plane."""
    pl = detector.planes[plane]
    w0 = wire_origin_cm(detector, plane)
    wires = (wire_coordinate_cm(charge.y_cm, charge.z_cm, pl.angle_deg) - w0) / pl.pitch_cm
    vertex_wire = (float(wire_coordinate_cm(vertex_cm[1], vertex_cm[2], pl.angle_deg)) - w0) / pl.pitch_cm
    first = max(math.floor(wires.min()) - 2, math.floor(vertex_wire) - UPSTREAM_WIRES)
    t = global_time_us(charge, detector, plane)
    centre = float(np.average(t, weights=charge.charge_e)) if charge.charge_e.sum() > 0 else float(t.mean())
    return first, centre - 0.5 * BUFFER_TICKS * detector.tick_us


def _accumulate(charge: DriftedCharge, detector: Detector, plane: int, first_wire: int, t0_us: float,
                filter_ticks: float, buffers) -> None:
    """Spread every deposit's signal over the buffer, one segment per drift volume (reversed towards −x)."""
    pl = detector.planes[plane]
    tick, v = detector.tick_us, detector.drift_velocity_cm_per_us
    w_start = wire_origin_cm(detector, plane) + first_wire * pl.pitch_cm
    w_lo = max(0, -first_wire)
    w_hi = max(w_lo, min(BUFFER_WIRES, pl.n_wires - first_wire))
    deposits = (charge.y_cm, charge.z_cm, charge.anode_time_us, charge.sigma_long_cm / v, charge.sigma_trans_cm,
                charge.charge_e, charge.label, charge.tpc)
    for k in range(detector.n_tpcs):
        gap, anode_us = plane_gap_us(detector, plane, k), detector.anode_x_cm[k] / v
        reverse = drift_sign(detector, k) < 0
        offset = BUFFER_TICKS * tick - anode_us + t0_us + gap if reverse else gap + anode_us - t0_us
        proj = Projection(math.sin(pl.angle_rad), math.cos(pl.angle_rad), w_start, pl.pitch_cm, offset, tick,
                          filter_ticks * tick, HIT_AREA_ADC_TICK_PER_ELECTRON)
        accumulate_gaussian(*deposits, k, proj, Target(0, BUFFER_TICKS, reverse, w_lo, w_hi, 0, BUFFER_TICKS),
                            *buffers)


def _view_map(hits: np.ndarray, detector: Detector, plane: int, first_wire: int, t0_us: float
              ) -> tuple[SparseImage, SparseImage, SparseImage]:
    """Bin one view's hits as the CVN does: (charge 0..255, semantic, kind) sparse images."""
    pl = detector.planes[plane]
    tick, v = detector.tick_us, detector.drift_velocity_cm_per_us
    shape = (CVN_WIRES, CVN_TIME_BINS)
    size_cm = (CVN_WIRES * pl.pitch_cm, CVN_TIME_BINS * CVN_TICKS_PER_BIN * tick * v)
    if len(hits) == 0:
        meta = ImageMeta(plane, shape, size_cm, (wire_origin_cm(detector, plane), 0.0))
        empty = SparseImage(meta, np.zeros(0, np.uint64), np.zeros(0, np.float32))
        return empty, empty, empty
    ticks = t0_us / tick + hits["tick"]
    mean = float(ticks.mean())
    bins, inside = cvn_time_bins(ticks, mean)
    map_start = first_wire + int(hits["wire"].min()) - 1          # the map's wire 0: one before the lowest hit
    rel = first_wire + hits["wire"].astype(np.int64) - map_start
    keep = inside & (rel < CVN_MAP_WIRES)
    start = cvn_first_wire(np.bincount(rel[keep], weights=hits["charge"][keep], minlength=CVN_MAP_WIRES))
    keep &= (rel >= start) & (rel < start + CVN_WIRES)
    ids = (rel[keep] - start) * CVN_TIME_BINS + bins[keep]
    charge, labels = hits["charge"][keep], hits["label"][keep]
    pixel, slot = np.unique(ids, return_inverse=True)
    summed = np.bincount(slot, weights=charge, minlength=len(pixel))
    order = np.lexsort((charge, slot))                             # per pixel, its largest hit last
    code = labels[order[np.flatnonzero(np.r_[np.diff(slot[order]) != 0, True])]]
    meta = ImageMeta(plane, shape, size_cm, (wire_origin_cm(detector, plane) + (map_start + start) * pl.pitch_cm,
                                             (mean - CVN_HALF_WINDOW_TICKS) * tick * v))
    index = pixel.astype(np.uint64)
    return (SparseImage(meta, index, cvn_counts(summed).astype(np.float32)),
            SparseImage(meta, index, (code >> 3).astype(np.float32)),
            SparseImage(meta, index, (code & 7).astype(np.float32)))


def cvn_maps(deposits: Deposits, detector: Detector, response: ResponseConfig, rng: np.random.Generator,
             vertex_cm: tuple[float, float, float], recombination: str = "modbox"
             ) -> tuple[list[SparseImage], list[SparseImage], list[SparseImage]]:
    """(charge, semantic, kind) per plane: CVN pixel maps of 500 wires × 500 time bins, values 0..255."""
    charge = drift(deposits, detector, response, recombination)
    seeds = rng.integers(0, 2 ** 32 - 1, size=len(detector.planes))
    planes = []
    for plane, seed in enumerate(seeds):
        first_wire, t0_us = _buffer_origin(charge, detector, plane, vertex_cm) if len(charge) else (0, 0.0)
        with plane_buffers((BUFFER_WIRES, BUFFER_TICKS)) as buffers:
            if len(charge):
                _accumulate(charge, detector, plane, first_wire, t0_us, response.filter_sigma_ticks, buffers)
            noise = _tick_noise(detector, plane, response) if response.noise else 0.0
            hits = find_hits(buffers, HIT_THRESHOLD, dip_fraction=HIT_DIP_FRACTION,
                             max_single_ticks=HIT_MAX_SINGLE_TICKS, long_pulse_ticks=HIT_LONG_PULSE_TICKS,
                             noise_rms=noise, seed=int(seed))
        planes.append(_view_map(hits, detector, plane, first_wire, t0_us))
    return [p[0] for p in planes], [p[1] for p in planes], [p[2] for p in planes]


def _tick_noise(detector: Detector, plane: int, response: ResponseConfig) -> float:
    """Per-tick noise of the signal-processed waveform: the plane's ENC as the peak of a filtered point charge."""
    pl = detector.planes[plane]
    enc_e = pl.noise_rms_ADC * response.noise_scale / detector.adc_per_electron
    width_ticks = max(response.filter_sigma_ticks, 0.5)
    return enc_e * HIT_AREA_ADC_TICK_PER_ELECTRON / (math.sqrt(2.0 * math.pi) * width_ticks)
