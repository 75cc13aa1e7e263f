"""Detector response: energy deposits → per-plane charge images with semantic and kind labels.

Chain (lartpc-physics.md §8 steps 3-8): ionisation and recombination (ionization.py) → drift
to the anode of the deposit's TPC with lifetime and diffusion (drift.py) → projection on each
plane's wire coordinate and erf integration over (wire, row) pixels (binning.py) → signal
shape → noise, ADC digitisation and zero suppression (noise.py) → sparse images.

Pixel values are signal-processed (deconvolved-like) wire charge in **collection-peak ADC**:
a pixel holds the charge q (e⁻) that arrived on its wire during its ticks times
0.87·adc_per_electron, i.e. the raw collection peak that charge would give as a point charge
(§1.5; SBND 4.44 ADC per 1000 e⁻). A MIP crossing the Y wires perpendicularly, parallel to
the wire plane, leaves 15.4 k e⁻ (MPV) per wire: a 68 ADC raw peak with the own-wire response
(63 ADC once the ±1 neighbours' induction is added, waveform.py) and, summed over the rows it
spans, 68 ADC in the image. Unipolar signals (collection always, induction with
``induction='unipolar'``) are blurred in time by the signal-processing filter
(``filter_sigma_ticks``). With ``induction='bipolar'`` the induction planes carry the raw
§1.5 response instead, divided by the collection area per unit peak (5.84 SBND ticks) so that
its scale matches; negative lobes fall below the zero-suppression cut.

Noise: white per pixel, RMS = plane RMS × noise_scale plus coherent noise common to 32-wire
groups per row, sampled exactly but sparsely (noise.py). Digitisation rounds to integer ADC
and clips to the ADC range above the pedestal. Pixels with value > threshold_ADC are kept.

Labels: the deposit giving a pixel the most signal sets its semantic and kind; pixels whose
noise-free signal is below 0.5 ADC (noise only) are background (0).

Processed readouts (``response.signal_processing``, on by default for full readouts): the signal is
binned without the filter, labels need the deposited charge of a 0.04 MeV MIP, then the processing
filter and deconvolution halo spread the charge, and the noise is that left after processing:
per-group RMS, row-correlated, continuous values (signal_processing.py, sp_noise.py, §1.8).
"""

from __future__ import annotations

import math

import numpy as np

from argonet.conf.sim import ImageConfig, ResponseConfig
from argonet.event import ImageMeta, SparseImage
from argonet.sim.binning import (PlaneBuffers, Projection, Target, accumulate_bipolar, accumulate_gaussian,
                                  allocate_buffers, plane_buffers)
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector
from argonet.sim.drift import DriftedCharge, drift
from argonet.sim.images import PlaneWindow, Segment, plane_metas, plane_windows
from argonet.sim.noise import analog_noise_rms, noise_and_extract
from argonet.sim.readout import plane_gap_us, plane_role, wire_origin_cm
from argonet.sim.signal_processing import HALO_ROWS, HALO_WIRES, gaussian_weights, label_threshold_ADC, process
from argonet.sim.sp_noise import sp_noise_and_extract
from argonet.sim.waveform import collection_area_ticks, peak_adc_per_electron, response_kernels

__all__ = ["respond", "plane_metas", "plane_charge"]


def _accumulate(charge: DriftedCharge, detector: Detector, window: PlaneWindow, scale: float,
                filter_sigma_ticks: float, bipolar: bool, buffers: PlaneBuffers) -> None:
    """Spread every deposit's signal (charge × scale) over the pixels of all segments of a window."""
    pl = detector.planes[window.plane]
    w_lo, w_hi = window.valid_wires(detector)
    w_start_cm = wire_origin_cm(detector, window.plane) + window.first_wire * pl.pitch_cm
    sigma_long_us = charge.sigma_long_cm / detector.drift_velocity_cm_per_us
    deposits = (charge.y_cm, charge.z_cm, charge.anode_time_us, sigma_long_us, charge.sigma_trans_cm,
                charge.charge_e, charge.label, charge.tpc)
    for seg in window.segments:
        if seg.end_valid <= seg.first_valid:
            continue
        target = Target(seg.row_offset, seg.n_rows, seg.reverse, w_lo, w_hi, seg.first_valid, seg.end_valid)
        t_offset_us = plane_gap_us(detector, window.plane, seg.tpc) - seg.t_start_us
        geometry = (math.sin(pl.angle_rad), math.cos(pl.angle_rad), w_start_cm, pl.pitch_cm, t_offset_us)
        if bipolar:                     # tick bins, no filter: the raw response has its own shape
            proj = Projection(*geometry, detector.tick_us, 0.0, scale)
            own, beside, zero = response_kernels(detector, plane_role(detector, window.plane, seg.tpc))
            accumulate_bipolar(*deposits, seg.tpc, proj, target, own, beside, zero, window.ticks_per_row, *buffers)
        else:
            proj = Projection(*geometry, window.ticks_per_row * detector.tick_us,
                              filter_sigma_ticks * detector.tick_us, scale)
            accumulate_gaussian(*deposits, seg.tpc, proj, target, *buffers)


def _processed(buffers: PlaneBuffers, detector: Detector, response: ResponseConfig, window: PlaneWindow,
               seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label cut, processing halo and processed-readout noise of one plane (signal_processing.py)."""
    k = 1 if detector.planes[window.plane].collection else 0
    wires, rows = window.valid_wires(detector), window.valid_rows()
    label_min = label_threshold_ADC(response.label_threshold_MeV, peak_adc_per_electron(detector),
                                    detector.drift_field_kV_per_cm)
    filter_rows = response.sp_filter_ticks / window.ticks_per_row
    process(*buffers, *wires, *rows, label_min, gaussian_weights(filter_rows, HALO_ROWS), response.sp_halo_fraction[k],
            gaussian_weights(response.sp_halo_wires, HALO_WIRES), gaussian_weights(response.sp_halo_rows, HALO_ROWS))
    return sp_noise_and_extract(buffers, window.plane, window.first_wire, wires, rows,
                                response.sp_noise_ADC[k] * response.noise_scale, response.sp_noise_group_spread,
                                response.sp_noise_row_correlation[k], response.threshold_ADC, response.noise, seed)


def _plane_images(charge: DriftedCharge, detector: Detector, response: ResponseConfig, window: PlaneWindow,
                  seed: int, processed: bool) -> tuple[SparseImage, SparseImage, SparseImage]:
    """Charge, semantic and kind images of one plane (processed: the signal-processing model)."""
    pl = detector.planes[window.plane]
    bipolar = response.induction == "bipolar" and not pl.collection
    scale = peak_adc_per_electron(detector)
    if bipolar:
        scale /= collection_area_ticks(detector)
    w_lo, w_hi = window.valid_wires(detector)
    r_lo, r_hi = window.valid_rows()
    sigma_i = analog_noise_rms(pl.noise_rms_ADC * response.noise_scale)
    sigma_c = response.coherent_noise_ADC
    adc_max = 2 ** detector.adc_bits - 1
    with plane_buffers(window.meta.shape) as buffers:
        processed = processed and not bipolar       # which then applies its own filter
        if len(charge):
            _accumulate(charge, detector, window, scale, 0.0 if processed else response.filter_sigma_ticks, bipolar,
                        buffers)
        if processed:
            ids, values, labels = _processed(buffers, detector, response, window, seed)
        else:
            ids, values, labels = noise_and_extract(
                buffers, window.first_wire, (w_lo, w_hi), (r_lo, r_hi), sigma_i, sigma_c, response.threshold_ADC,
                (-pl.pedestal_ADC, adc_max - pl.pedestal_ADC), response.noise and (sigma_i > 0 or sigma_c > 0), seed)
    meta = window.meta
    return (SparseImage(meta, ids, values),
            SparseImage(meta, ids, (labels >> 3).astype(np.float32)),
            SparseImage(meta, ids, (labels & 7).astype(np.float32)))


def respond(deposits: Deposits, detector: Detector, response: ResponseConfig, image: ImageConfig,
            rng: np.random.Generator, vertex_cm: tuple[float, float, float] | None = None,
            vertex_t_ns: float = 0.0, recombination: str = "modbox",
            ) -> tuple[list[SparseImage], list[SparseImage], list[SparseImage]]:
    """(charge, semantic, kind) per plane, each a SparseImage with identical ids; crop mode needs vertex_cm."""
    windows = plane_windows(detector, image, vertex_cm, vertex_t_ns)
    charge = drift(deposits, detector, response, recombination)
    seeds = rng.integers(0, 2 ** 32 - 1, size=len(windows))
    processed = response.signal_processing == "on" or (response.signal_processing == "auto" and image.mode == "full")
    planes = [_plane_images(charge, detector, response, w, int(s), processed) for w, s in zip(windows, seeds)]
    return [p[0] for p in planes], [p[1] for p in planes], [p[2] for p in planes]


def plane_charge(deposits: Deposits, detector: Detector, plane: int, *, tpc: int = 0, first_wire: int = 0,
                 n_wires: int | None = None, t_start_us: float | None = None, n_ticks: int | None = None,
                 response: ResponseConfig | None = None, recombination: str = "modbox") -> np.ndarray:
    """Electrons reaching one plane of one TPC per (wire, tick): the input of waveform.raw_waveforms.

    Defaults: every wire of the plane and the whole readout window (ticks from the readout start).
    No signal-processing filter, noise or digitisation is applied.
    """
    pl = detector.planes[plane]
    n_wires = pl.n_wires - first_wire if n_wires is None else n_wires
    t_start_us = -detector.pretrigger_us if t_start_us is None else t_start_us
    n_ticks = detector.readout_ticks if n_ticks is None else n_ticks
    meta = ImageMeta(plane, (n_wires, n_ticks), (n_wires * pl.pitch_cm, n_ticks * detector.tick_us), (0.0, 0.0))
    window = PlaneWindow(plane, meta, first_wire, 1, (Segment(tpc, t_start_us, n_ticks, 0, False, 0, n_ticks),))
    charge = drift(deposits, detector, response, recombination)
    buffers = allocate_buffers((n_wires, n_ticks))
    if len(charge):
        _accumulate(charge, detector, window, 1.0, 0.0, False, buffers)
    return buffers.value.astype(np.float64)

