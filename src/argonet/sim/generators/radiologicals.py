"""Radiological background: ³⁹Ar β decays in the liquid argon (lartpc-physics.md §6.1).

Atmospheric argon carries ³⁹Ar at 1.01 ± 0.08 Bq per kg (WArP, Benetti et al., NIM A 574 (2007) 83). A β⁻
decay (Q = 565 keV, half-life 269 y) leaves an electron of mean kinetic energy ≈ 220 keV whose range in LAr is
below 2 mm: one point deposit, a blip of one or two wires. Decays are uniform in the active volume and in time
over the detector's cosmic window (the times whose charge can reach the readout), Poisson in number; they are
labelled background (semantic 0, kind 0), as radiological activity is in real labelled data.

The β spectrum (a unique first-forbidden transition, 7/2⁻ → 3/2⁺) is the allowed shape with the
non-relativistic Fermi function of the daughter (Z = 19) times the shape factor p² + q² (q = Q − T the
neutrino momentum): N(T) ∝ p·E·q²·F(Z, E)·(p² + q²), sampled by inverting its tabulated cumulative
distribution; its mean is ≈ 0.22 MeV. The electron's
stopping power, which sets its recombination (§2.2), is interpolated in a short table for electrons in argon.
"""

from __future__ import annotations

from functools import lru_cache
import math

import numpy as np

from argonet import units
from argonet.event import ParticleKind, Semantic
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector

AR39_Q_MeV = 0.565
ELECTRON_MASS_MeV = 0.511
DAUGHTER_Z = 19
FINE_STRUCTURE = 1.0 / 137.036
#: collision stopping power of electrons in argon (MeV cm²/g) at kinetic energies (MeV), ESTAR-like values
STOPPING_T_MeV = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7])
STOPPING_MeV_CM2_PER_G = np.array([16.0, 9.5, 4.9, 3.2, 2.2, 1.9, 1.65, 1.55])
TRACK_ID = -39                       # the track id of every ³⁹Ar deposit (no particle record)


@lru_cache(maxsize=1)
def _spectrum_cdf(n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(kinetic energies MeV, cumulative probability) of the ³⁹Ar β spectrum."""
    t = np.linspace(0.0, AR39_Q_MeV, n + 1)[1:-1]
    e = t + ELECTRON_MASS_MeV
    p = np.sqrt(e * e - ELECTRON_MASS_MeV ** 2)
    eta = DAUGHTER_Z * FINE_STRUCTURE * e / p
    fermi = 2 * math.pi * eta / (1.0 - np.exp(-2 * math.pi * eta))
    q = AR39_Q_MeV - t                                       # neutrino momentum
    density = p * e * q ** 2 * fermi * (p * p + q * q)      # unique first-forbidden shape factor p² + q²
    cdf = np.cumsum(density)
    return t, cdf / cdf[-1]


def beta_energies_MeV(n: int, rng: np.random.Generator) -> np.ndarray:
    """n kinetic energies (MeV) from the ³⁹Ar β spectrum."""
    t, cdf = _spectrum_cdf()
    return np.interp(rng.random(n), cdf, t)


def electron_dEdx_MeV_per_cm(t_MeV: np.ndarray) -> np.ndarray:
    """Stopping power (MeV/cm) of electrons of kinetic energy t_MeV in liquid argon (log-log interpolation)."""
    t = np.clip(np.asarray(t_MeV, np.float64), STOPPING_T_MeV[0], STOPPING_T_MeV[-1])
    s = np.exp(np.interp(np.log(t), np.log(STOPPING_T_MeV), np.log(STOPPING_MeV_CM2_PER_G)))
    return s * units.argon_density_g_per_cm3


def argon_mass_kg(detector: Detector) -> float:
    """Mass of liquid argon in the active volume (kg)."""
    volume_cm3 = float(np.prod(np.subtract(detector.active_max_cm, detector.active_min_cm)))
    return volume_cm3 * units.argon_density_g_per_cm3 * 1e-3


def ar39_deposits(detector: Detector, activity_Bq_per_kg: float, rng: np.random.Generator) -> Deposits:
    """The ³⁹Ar decays of one event's time window as point deposits labelled background."""
    t_lo_us, t_hi_us = detector.cosmic_window_us
    mean = activity_Bq_per_kg * argon_mass_kg(detector) * (t_hi_us - t_lo_us) * 1e-6
    n = int(rng.poisson(mean)) if mean > 0 else 0
    lo, hi = np.asarray(detector.active_min_cm), np.asarray(detector.active_max_cm)
    xyz = lo + rng.random((n, 3)) * (hi - lo)
    t_ns = rng.uniform(t_lo_us, t_hi_us, n) * 1e3
    energy = beta_energies_MeV(n, rng)
    dx_cm = energy / electron_dEdx_MeV_per_cm(energy)          # so that dE/dx is the electron's stopping power
    return Deposits(xyz[:, 0].copy(), xyz[:, 1].copy(), xyz[:, 2].copy(), t_ns, energy.astype(np.float32),
                    dx_cm.astype(np.float32), np.full(n, TRACK_ID, np.int32),
                    np.full(n, Semantic.BACKGROUND, np.int8), np.full(n, ParticleKind.BACKGROUND, np.int8))
