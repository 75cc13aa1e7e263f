"""Ionisation charge of energy deposits: W-value and electron-ion recombination (lartpc-physics.md §2.1-§2.2).

Recombination R is the fraction of ionisation electrons that escape the ion cloud; it depends
on the local dE/dx (MeV/cm) and the drift field (kV/cm). Both models use the ArgoNeuT
density 1.383 g/cm³ at which they were measured. Following LArSoft, dE/dx is floored at
1 MeV/cm before R is evaluated: below that the Modified Box formula is outside its fitted
range (ln(α + ξ)/ξ turns negative for ξ → 0 because α < 1).
"""

from __future__ import annotations

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.sim.deposits import Deposits

RECOMBINATION_MODELS = ("modbox", "birks")


def _xi_scale(field_kV_per_cm: float, density_g_per_cm3: float) -> float:
    """1/(ρ·E) in (cm³/g)/(kV/cm), shared by both models; rejects a non-positive field."""
    if not field_kV_per_cm > 0:
        raise ConfigError("drift_field_kV_per_cm", f"must be > 0 kV/cm (got {field_kV_per_cm})")
    return 1.0 / (density_g_per_cm3 * field_kV_per_cm)


def _guarded_dEdx(dEdx_MeV_per_cm: np.ndarray | float) -> np.ndarray:
    """dE/dx floored at the LArSoft guard value (MeV/cm)."""
    return np.maximum(np.asarray(dEdx_MeV_per_cm, dtype=np.float64), units.recombination_min_dEdx_MeV_per_cm)


def recombination_modbox(dEdx_MeV_per_cm, field_kV_per_cm: float,
                         density_g_per_cm3: float = units.recombination_density_g_per_cm3) -> np.ndarray:
    """Modified Box (ArgoNeuT) survival fraction R = ln(α + ξ)/ξ, ξ = β·dE/dx/(ρ·E)."""
    xi = units.modbox_beta_kV_g_per_cm3_MeV * _guarded_dEdx(dEdx_MeV_per_cm) * _xi_scale(
        field_kV_per_cm, density_g_per_cm3)
    return np.log(units.modbox_alpha + xi) / xi


def recombination_birks(dEdx_MeV_per_cm, field_kV_per_cm: float,
                        density_g_per_cm3: float = units.recombination_density_g_per_cm3) -> np.ndarray:
    """Birks (ICARUS) survival fraction R = A/(1 + k·dE/dx/(ρ·E))."""
    scaled = units.birks_k_kV_g_per_cm3_MeV * _guarded_dEdx(dEdx_MeV_per_cm) * _xi_scale(
        field_kV_per_cm, density_g_per_cm3)
    return units.birks_A / (1.0 + scaled)


def recombination(dEdx_MeV_per_cm, field_kV_per_cm: float, model: str = "modbox") -> np.ndarray:
    """Survival fraction R for the named model ('modbox' or 'birks'), vectorised over dE/dx."""
    if model == "modbox":
        return recombination_modbox(dEdx_MeV_per_cm, field_kV_per_cm)
    if model == "birks":
        return recombination_birks(dEdx_MeV_per_cm, field_kV_per_cm)
    raise ConfigError("physics.recombination", f"unknown recombination model {model!r}", RECOMBINATION_MODELS)


def deposit_dEdx(deposits: Deposits) -> np.ndarray:
    """Local dE/dx of each step in MeV/cm; point deposits (dx = 0) count as minimum ionising."""
    dx_cm = deposits.dx_cm.astype(np.float64)
    dE_MeV = deposits.dE_MeV.astype(np.float64)
    point = dx_cm <= 0
    return np.where(point, units.mip_dEdx_MeV_per_cm, dE_MeV / np.where(point, 1.0, dx_cm))


def electrons(deposits: Deposits, field_kV_per_cm: float, model: str = "modbox") -> np.ndarray:
    """Ionisation electrons that escape recombination, per deposit (float, e⁻; no fluctuation)."""
    dE_MeV = np.maximum(deposits.dE_MeV.astype(np.float64), 0.0)
    if len(dE_MeV) == 0:
        recombination(np.zeros(0), field_kV_per_cm, model)   # still validates the model name
        return np.zeros(0)
    survive = recombination(deposit_dEdx(deposits), field_kV_per_cm, model)
    return dE_MeV * units.electrons_per_MeV * survive
