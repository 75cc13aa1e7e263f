"""Where each plane image lies in (wire, time): full readout or vertex crop, and its ImageMeta.

An image is (n_wires, n_rows) with axis 0 = wire and axis 1 = time, one row being
``tick_downsample`` ticks. It is made of one *segment* per drift volume shown:

* ``full``, two TPCs (SBND, CosmicTagger layout §1.6): each TPC contributes one drift window
  of rows, the TPC with the lower anode x first, the other one reversed, so that the row axis
  is x from one anode through the cathode (image centre) to the other anode. The window has
  the most rows that fit the drift time and are a multiple of 16 (SBND: 2560 ticks = 640 rows
  of 4 ticks per TPC, 1280 rows) and *ends* at the cathode for charge in time with the
  trigger (for SBND it starts 6 µs after the trigger): both halves then meet exactly at the
  cathode and an in-time track crossing it is continuous. (A window starting at the trigger
  would cut the last 0.9–1.5 cm before the cathode, the drift being 201 cm, not 200.)
  Wires are zero-padded to a common width, a multiple of 128 (SBND 2048).
* ``full``, one TPC: the whole readout window, ``readout_ticks // tick_downsample`` rows.
* ``crop``: ``crop_wires × crop_ticks`` centred on the projection of the vertex, in the TPC
  that contains the vertex, on the readout's row grid.

Meta coordinates (``origin_cm`` = lower corner, ``size_cm``): the wire axis is the plane's
wire coordinate w (§1.4). The drift axis is x for the two-TPC layout (the cathode at the image
centre), and otherwise the drift distance from the anode of charge produced at the reference
time (trigger for full images, vertex time for crops), which is x for single-TPC presets.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from argonet.conf.sim import ImageConfig
from argonet.errors import ConfigError
from argonet.event import ImageMeta
from argonet.sim.detector import Detector
from argonet.sim.readout import padded_wires, plane_gap_us, tpc_index, wire_coordinate_cm, wire_origin_cm

_ROW_MULTIPLE = 16     # rows per TPC in the two-TPC layout: U-Net friendly (SBND: 640)
_US_PER_NS = 1e-3


@dataclass(frozen=True)
class Segment:
    """The rows of one drift volume in a plane image."""

    tpc: int
    t_start_us: float      # arrival time at the plane of the lower edge of local row 0
    n_rows: int
    row_offset: int        # image row of local row 0 (of local row n_rows − 1 when reversed)
    reverse: bool          # local time runs towards lower image rows
    first_valid: int       # local rows [first_valid, end_valid) lie inside the readout
    end_valid: int


@dataclass(frozen=True)
class PlaneWindow:
    """The part of one plane's (wire, time) readout that an image shows."""

    plane: int
    meta: ImageMeta
    first_wire: int        # detector wire of image column 0 (negative when a crop overhangs)
    ticks_per_row: int
    segments: tuple[Segment, ...]

    def valid_wires(self, detector: Detector) -> tuple[int, int]:
        """Image columns [lo, hi) that are real wires."""
        n_real = detector.planes[self.plane].n_wires
        return max(0, -self.first_wire), max(0, min(self.meta.shape[0], n_real - self.first_wire))

    def valid_rows(self) -> tuple[int, int]:
        """Image rows [lo, hi) inside the readout (the union of the segments' valid rows)."""
        spans = [image_rows(s, s.first_valid, s.end_valid) for s in self.segments if s.end_valid > s.first_valid]
        if not spans:
            return 0, 0
        return min(lo for lo, _ in spans), max(hi for _, hi in spans)


def image_rows(segment: Segment, lo: int, hi: int) -> tuple[int, int]:
    """Image-row span [a, b) of the local rows [lo, hi) of a segment."""
    if segment.reverse:
        return segment.row_offset + segment.n_rows - hi, segment.row_offset + segment.n_rows - lo
    return segment.row_offset + lo, segment.row_offset + hi


def _readout_valid(detector: Detector, t_start_us: float, row_us: float, n_rows: int) -> tuple[int, int]:
    """Local rows lying entirely inside the readout window."""
    readout_start_us = -detector.pretrigger_us
    readout_end_us = readout_start_us + detector.readout_ticks * detector.tick_us
    eps = 1e-9 * row_us
    lo = max(0, math.ceil((readout_start_us - t_start_us) / row_us - eps))
    hi = min(n_rows, math.floor((readout_end_us - t_start_us) / row_us + eps))
    return lo, max(lo, hi)


def _full_two_tpc(detector: Detector, plane: int, image: ImageConfig) -> PlaneWindow:
    """The CosmicTagger layout: anode → cathode | cathode → anode along the rows."""
    ds, v = image.tick_downsample, detector.drift_velocity_cm_per_us
    row_us = ds * detector.tick_us
    n_half = int(detector.max_drift_us / row_us) // _ROW_MULTIPLE * _ROW_MULTIPLE
    if n_half == 0:
        raise ConfigError("image.tick_downsample", f"too coarse for a {detector.max_drift_us:.0f} us drift")
    order = sorted(range(2), key=lambda k: detector.anode_x_cm[k])
    segments = []
    for half, tpc in enumerate(order):
        drift_us = abs(detector.anode_x_cm[tpc] - detector.cathode_x_cm) / v
        t_start_us = drift_us + plane_gap_us(detector, plane, tpc) - n_half * row_us
        lo, hi = _readout_valid(detector, t_start_us, row_us, n_half)
        segments.append(Segment(tpc, t_start_us, n_half, half * n_half, half == 1, lo, hi))
    n_wires = padded_wires(detector)
    pitch = detector.planes[plane].pitch_cm
    half_cm = n_half * row_us * v
    meta = ImageMeta(plane, (n_wires, 2 * n_half), (n_wires * pitch, 2 * half_cm),
                     (wire_origin_cm(detector, plane), detector.cathode_x_cm - half_cm))
    return PlaneWindow(plane, meta, 0, ds, tuple(segments))


def _full_one_tpc(detector: Detector, plane: int, image: ImageConfig) -> PlaneWindow:
    """The whole readout window of a single-TPC detector."""
    ds, v = image.tick_downsample, detector.drift_velocity_cm_per_us
    row_us = ds * detector.tick_us
    n_rows = detector.readout_ticks // ds
    t_start_us = -detector.pretrigger_us
    lo, hi = _readout_valid(detector, t_start_us, row_us, n_rows)
    n_wires = padded_wires(detector)
    pitch = detector.planes[plane].pitch_cm
    origin_cm = v * (t_start_us - plane_gap_us(detector, plane, 0))
    meta = ImageMeta(plane, (n_wires, n_rows), (n_wires * pitch, n_rows * row_us * v),
                     (wire_origin_cm(detector, plane), origin_cm))
    return PlaneWindow(plane, meta, 0, ds, (Segment(0, t_start_us, n_rows, 0, False, lo, hi),))


def vertex_tpc(detector: Detector, x_cm: float) -> int:
    """The TPC containing x, or the one whose drift volume is nearest."""
    tpc = int(tpc_index([x_cm], detector)[0])
    if tpc >= 0:
        return tpc

    def distance(k: int) -> float:
        lo, hi = sorted((detector.anode_x_cm[k], detector.cathode_of(k)))
        return max(lo - x_cm, x_cm - hi)
    return min(range(detector.n_tpcs), key=distance)


def _crop(detector: Detector, plane: int, image: ImageConfig, vertex_cm: tuple[float, float, float],
          vertex_t_ns: float) -> PlaneWindow:
    """crop_wires × crop_ticks rows around the vertex, on the readout's row grid."""
    ds, v = image.tick_downsample, detector.drift_velocity_cm_per_us
    row_us = ds * detector.tick_us
    pl = detector.planes[plane]
    x_cm, y_cm, z_cm = (float(c) for c in vertex_cm)
    tpc = vertex_tpc(detector, x_cm)
    vertex_t_us = vertex_t_ns * _US_PER_NS
    drift_cm = abs(detector.anode_x_cm[tpc] - x_cm)
    arrival_us = vertex_t_us + drift_cm / v + plane_gap_us(detector, plane, tpc)
    readout_start_us = -detector.pretrigger_us
    start_row = math.floor((arrival_us - readout_start_us) / row_us) - image.crop_ticks // 2
    t_start_us = readout_start_us + start_row * row_us
    lo, hi = _readout_valid(detector, t_start_us, row_us, image.crop_ticks)
    w0_cm = wire_origin_cm(detector, plane)
    vertex_wire = math.floor((float(wire_coordinate_cm(y_cm, z_cm, pl.angle_deg)) - w0_cm) / pl.pitch_cm)
    first_wire = vertex_wire - image.crop_wires // 2
    origin_cm = (w0_cm + first_wire * pl.pitch_cm,
                 v * (t_start_us - vertex_t_us - plane_gap_us(detector, plane, tpc)))
    meta = ImageMeta(plane, (image.crop_wires, image.crop_ticks),
                     (image.crop_wires * pl.pitch_cm, image.crop_ticks * row_us * v), origin_cm)
    return PlaneWindow(plane, meta, first_wire, ds, (Segment(tpc, t_start_us, image.crop_ticks, 0, False, lo, hi),))


def plane_windows(detector: Detector, image: ImageConfig, vertex_cm: tuple[float, float, float] | None = None,
                  vertex_t_ns: float = 0.0) -> list[PlaneWindow]:
    """The window of every plane for an image configuration (crop mode needs the vertex)."""
    if image.mode == "cvn":
        raise ConfigError("image.mode", "cvn maps are placed around their hits (argonet.sim.cvn_maps), "
                          "not on a fixed window")
    if image.mode == "crop":
        if vertex_cm is None:
            raise ConfigError("image.mode", "crop images are centred on the vertex: pass vertex_cm "
                              "(or use image.mode=full)")
        if len(vertex_cm) != 3 or not all(math.isfinite(float(c)) for c in vertex_cm):
            raise ConfigError("vertex_cm", f"needs three finite coordinates in cm, got {vertex_cm!r}")
        return [_crop(detector, p, image, vertex_cm, float(vertex_t_ns)) for p in range(len(detector.planes))]
    if detector.n_tpcs == 2 and detector.tpc_cathodes_x_cm:
        raise ConfigError("image.mode", f"full images of {detector.name} (two drift volumes sharing an anode) are "
                          "not supported: use image.mode=crop or image.mode=cvn")
    if detector.n_tpcs == 2:
        return [_full_two_tpc(detector, p, image) for p in range(len(detector.planes))]
    if detector.n_tpcs == 1:
        return [_full_one_tpc(detector, p, image) for p in range(len(detector.planes))]
    raise ConfigError("image.mode", f"full images support detectors with 1 or 2 TPCs, {detector.name} has "
                      f"{detector.n_tpcs} (use image.mode=crop)")


def plane_metas(detector: Detector, image: ImageConfig, vertex_cm: tuple[float, float, float] | None = None,
                vertex_t_ns: float = 0.0) -> list[ImageMeta]:
    """The ImageMeta of every plane: projection id, shape (wires, rows), size and lower corner in cm."""
    return [w.meta for w in plane_windows(detector, image, vertex_cm, vertex_t_ns)]


# --- DUNE CVN pixel maps (image.mode=cvn) -------------------------------------------------------
# The conventions of the DUNE CVN's maps (Phys. Rev. D 102, 092003), as DUNE/dunereco makes them
# (CVN/art/PixelMapProducer.cxx, CVN/func/{PixelMap,Boundary,CVNImageUtils}.cxx, CVNMapper.fcl):
# per view, the hits of the event are binned by wire and by peak time; the time axis spans the
# mean hit time ± TimeResolution = 1600 ticks in 500 bins (6.4 ticks = 3.2 µs each), a bin index
# being round((t − lower)/6.4) modulo 500 (a hit exactly on the upper edge wraps to bin 0); a
# pixel holds the summed hit integrals (ADC·tick), written as ceil(q/(1000/255)) saturating at
# 255; the 500 wires start at the first wire (counting from one before the lowest hit wire) whose
# next 20 wires hold charge on at least 16, else at the 500-wire window holding the most charge.
CVN_WIRES = 500
CVN_TIME_BINS = 500
CVN_HALF_WINDOW_TICKS = 1600.0
CVN_TICKS_PER_BIN = 2.0 * CVN_HALF_WINDOW_TICKS / CVN_TIME_BINS
CVN_MAP_WIRES = 2880                     # wires of the unwrapped map the crop searches
CVN_LOOKAHEAD_WIRES = 20
CVN_MAX_EMPTY_WIRES = 5
CVN_CHARGE_PER_COUNT = 1000.0 / 255.0    # hit integral (ADC·tick) per 8-bit count
CVN_MAX_COUNT = 255


def cvn_time_bins(ticks: np.ndarray, mean_tick: float) -> tuple[np.ndarray, np.ndarray]:
    """(time bin, inside the window) of hit peak times (ticks) for a view whose mean hit time is mean_tick."""
    ticks = np.asarray(ticks, dtype=np.float64)
    lower = mean_tick - CVN_HALF_WINDOW_TICKS
    inside = (ticks >= lower) & (ticks <= mean_tick + CVN_HALF_WINDOW_TICKS)
    bins = np.floor((ticks - lower) / CVN_TICKS_PER_BIN + 0.5).astype(np.int64) % CVN_TIME_BINS
    return bins, inside


def cvn_first_wire(wire_charge: np.ndarray) -> int:
    """First wire of the 500-wire crop of a view's wire-charge profile (index 0 = one before the lowest hit wire)."""
    charge = np.zeros(max(CVN_MAP_WIRES, len(wire_charge)))
    charge[:len(wire_charge)] = wire_charge
    n = len(charge)
    filled = np.concatenate([[0], np.cumsum(charge != 0)])
    starts = np.arange(n - CVN_WIRES)
    ahead = filled[np.minimum(starts + 1 + CVN_LOOKAHEAD_WIRES, n)] - filled[starts + 1]
    dense = np.flatnonzero(CVN_LOOKAHEAD_WIRES - ahead < CVN_MAX_EMPTY_WIRES)
    if len(dense):
        return int(dense[0])
    window = np.convolve(charge, np.ones(CVN_WIRES), mode="valid")[:n - CVN_WIRES]
    return int(np.argmax(window)) if len(window) else 0


def cvn_counts(charge: np.ndarray) -> np.ndarray:
    """8-bit CVN pixel values of summed hit integrals (ADC·tick): ceil(q/(1000/255)), at most 255."""
    return np.minimum(np.ceil(np.asarray(charge, dtype=np.float64) / CVN_CHARGE_PER_COUNT), CVN_MAX_COUNT)
