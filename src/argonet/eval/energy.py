"""Energy resolution and the calorimetric reference, as pure numpy functions.

Resolution σ(E)/E in a bin of true energy is the standard deviation of the relative residual
(E_reco − E_true)/E_true of the events in the bin, with its statistical error σ/sqrt(2(n − 1));
the bias is the mean relative residual.

The calorimetric sum turns the collection-plane charge into deposited energy with the simulator's
own constants: pixel ADC → electrons through the collection peak ADC per electron; per wire, dQ/dx
with dx = pitch / cos θ_w (a track along the beam axis crossing wires at θ_w to the vertical);
the Modified Box model inverted, dE/dx = (exp(β′·W·dQ/dx) − α)/β′ with β′ = β/(ρ·E_field), with
the simulator's floor (below 1 MeV/cm the survival fraction is that of 1 MeV/cm); dE = dE/dx·dx.
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
    xi = np.exp(beta * dqdx_e_per_cm * units.argon_w_ion_MeV) - units.modbox_alpha
    dEdx = np.maximum(xi / beta, 0.0)
    floor = units.recombination_min_dEdx_MeV_per_cm
    r_floor = float(recombination_modbox(floor, field_kV_per_cm))
    low = dEdx < floor                      # below the floor the simulator used R(1 MeV/cm)
    dEdx = np.where(low, dqdx_e_per_cm * units.argon_w_ion_MeV / r_floor, dEdx)
    return dEdx * dx_cm


def calorimetric_energy_MeV(collection_image_ADC: np.ndarray, detector: Detector, plane: int) -> float:
    """Deposited energy (MeV) of one event from its collection-plane image (wires × rows, pixel ADC)."""
    if not detector.planes[plane].collection:
        raise DataError(f"plane {plane} of {detector.name} is not a collection plane")
    wire_adc = np.asarray(collection_image_ADC, float).sum(axis=1)
    wire_electrons = wire_adc / peak_adc_per_electron(detector)
    dE = deposited_from_wire_charge(wire_electrons[wire_electrons > 0], wire_dx_cm(detector, plane),
                                    detector.drift_field_kV_per_cm)
    return float(dE.sum())


def calibration_scale(true_MeV: np.ndarray, estimate_MeV: np.ndarray) -> float:
    """Median of E_true/E_estimate over events with an estimate > 0 (fitted on training events only)."""
    true_MeV, estimate_MeV = np.asarray(true_MeV, float), np.asarray(estimate_MeV, float)
    ok = estimate_MeV > 0
    if not ok.any():
        raise DataError("no event with a positive calorimetric estimate to calibrate on")
    return float(np.median(true_MeV[ok] / estimate_MeV[ok]))
