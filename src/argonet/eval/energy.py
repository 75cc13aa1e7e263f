"""Energy resolution and the calorimetric reference, as pure numpy functions.

Resolution σ(E)/E in a bin of true energy is the standard deviation of the relative residual
(E_reco − E_true)/E_true of the events in the bin, with its statistical error σ/sqrt(2(n − 1));
the bias is the mean relative residual.

The calorimetric sum turns the collection-plane charge into deposited energy with the simulator's
own constants: pixels above ``pixel_threshold_ADC`` (noise removed) → electrons through the
collection peak ADC per electron; then either

* ``mip``: one survival fraction for all charge, R(2.105 MeV/cm) of the Modified Box model (the usual
  shower calorimetry: overlapping shower tracks make per-wire dQ/dx meaningless), or
* ``wire``: per wire, dQ/dx with dx = pitch / cos θ_w (a track along the beam axis crossing wires at θ_w
  to the vertical) and the Modified Box model inverted, dE/dx = (exp(β′·W·dQ/dx) − α)/β′ with
  β′ = β/(ρ·E_field), with the simulator's floor (below 1 MeV/cm the survival fraction is that of
  1 MeV/cm) and a ceiling (above MAX_INVERTED_dEdx the survival fraction is that of the ceiling: the
  inverse grows exponentially and would turn overlapping tracks into huge energies); dE = dE/dx·dx.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from argonet import units
from argonet.errors import DataError
from argonet.sim.detector import Detector
from argonet.sim.ionization import recombination_modbox
from argonet.sim.waveform import peak_adc_per_electron

CALORIMETRY_METHODS = ("mip", "wire")
MAX_INVERTED_dEdx_MeV_per_cm = 30.0        # about a proton's Bragg peak
PIXEL_THRESHOLD_ADC = 8.0                  # ≈ 5 σ of the LArIAT collection noise: no noise pixel passes


def relative_residuals(true_MeV: np.ndarray, reco_MeV: np.ndarray) -> np.ndarray:
    """(E_reco − E_true)/E_true per event; DataError for non-positive true energies."""
    true_MeV, reco_MeV = np.asarray(true_MeV, float), np.asarray(reco_MeV, float)
    if true_MeV.shape != reco_MeV.shape:
        raise DataError(f"true and reconstructed energies differ in shape: {true_MeV.shape} vs {reco_MeV.shape}")
    if np.any(true_MeV <= 0):
        raise DataError("true energies must be > 0 MeV")
    return (reco_MeV - true_MeV) / true_MeV


def resolution_vs_energy(true_MeV: np.ndarray, reco_MeV: np.ndarray, bin_edges: Sequence[float]
                         ) -> dict[str, np.ndarray]:
    """Per bin of true energy: ``n``, ``bias`` (mean relative residual), ``resolution`` (its std, ddof=1) and
    ``error`` (resolution/sqrt(2(n−1))); NaN where fewer than 2 events."""
    r = relative_residuals(true_MeV, reco_MeV)
    edges = np.asarray(bin_edges, float)
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise DataError(f"energy bin edges must increase, got {edges.tolist()}")
    b = np.searchsorted(edges, np.asarray(true_MeV, float), side="right") - 1
    n_bins = len(edges) - 1
    n, bias, res = np.zeros(n_bins, int), np.full(n_bins, np.nan), np.full(n_bins, np.nan)
    for i in range(n_bins):
        sel = r[b == i]
        n[i] = len(sel)
        if len(sel) >= 2:
            bias[i], res[i] = sel.mean(), sel.std(ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = res / np.sqrt(2.0 * np.maximum(n - 1, 1))
    return {"bin_edges": edges, "n": n, "bias": bias, "resolution": res, "error": np.where(n >= 2, error, np.nan)}


def log_energy_residual(true_MeV: np.ndarray, predicted_log_MeV: np.ndarray) -> np.ndarray:
    """predicted ln(E/MeV) − ln(E_true/MeV): the quantity the regression loss squares (≈ relative error)."""
    return np.asarray(predicted_log_MeV, float) - np.log(np.asarray(true_MeV, float))


def wire_dx_cm(detector: Detector, plane: int) -> float:
    """Path length per wire (cm) of a track along the beam axis (z) on a plane whose wires are at θ_w."""
    pl = detector.planes[plane]
    return pl.pitch_cm / abs(math.cos(pl.angle_rad))


def deposited_from_wire_charge(wire_electrons: np.ndarray, dx_cm: float, field_kV_per_cm: float) -> np.ndarray:
    """Deposited energy (MeV) per wire from its collected electrons, inverting the Modified Box model."""
    q = np.maximum(np.asarray(wire_electrons, float), 0.0)
    beta = units.modbox_beta_kV_g_per_cm3_MeV / (units.recombination_density_g_per_cm3 * field_kV_per_cm)
    dqdx_e_per_cm = q / dx_cm
    xi = np.exp(np.minimum(beta * dqdx_e_per_cm * units.argon_w_ion_MeV, 50.0)) - units.modbox_alpha
    dEdx = np.maximum(xi / beta, 0.0)
    for bound, outside in ((units.recombination_min_dEdx_MeV_per_cm, dEdx < units.recombination_min_dEdx_MeV_per_cm),
                           (MAX_INVERTED_dEdx_MeV_per_cm, dEdx > MAX_INVERTED_dEdx_MeV_per_cm)):
        r_bound = float(recombination_modbox(bound, field_kV_per_cm))
        dEdx = np.where(outside, dqdx_e_per_cm * units.argon_w_ion_MeV / r_bound, dEdx)
    return dEdx * dx_cm


def calorimetric_energy_MeV(collection_image_ADC: np.ndarray, detector: Detector, plane: int, method: str = "mip",
                            pixel_threshold_ADC: float = PIXEL_THRESHOLD_ADC) -> float:
    """Deposited energy (MeV) of one event from its raw collection-plane image (one wire per row, pixel ADC)."""
    if not detector.planes[plane].collection:
        raise DataError(f"plane {plane} of {detector.name} is not a collection plane")
    if method not in CALORIMETRY_METHODS:
        raise DataError(f"unknown calorimetry method {method!r} (choose from {', '.join(CALORIMETRY_METHODS)})")
    image = np.asarray(collection_image_ADC, float)
    electrons = np.where(image > pixel_threshold_ADC, image, 0.0).sum(axis=1) / peak_adc_per_electron(detector)
    field = detector.drift_field_kV_per_cm
    if method == "mip":
        r_mip = float(recombination_modbox(units.mip_dEdx_MeV_per_cm, field))
        return float(electrons.sum() * units.argon_w_ion_MeV / r_mip)
    return float(deposited_from_wire_charge(electrons[electrons > 0], wire_dx_cm(detector, plane), field).sum())


def calibration_scale(true_MeV: np.ndarray, estimate_MeV: np.ndarray) -> float:
    """Median of E_true/E_estimate over events with an estimate > 0 (fitted on training events only)."""
    true_MeV, estimate_MeV = np.asarray(true_MeV, float), np.asarray(estimate_MeV, float)
    ok = estimate_MeV > 0
    if not ok.any():
        raise DataError("no event with a positive calorimetric estimate to calibrate on")
    return float(np.median(true_MeV[ok] / estimate_MeV[ok]))
