"""Primaries built by hand for the transport and shower tests, and small analysis helpers."""

from __future__ import annotations

import numpy as np

from argonet.event import Semantic
from argonet.sim.deposits import Deposits, make_primaries
from argonet.sim.physics import ELECTRON_MASS_MeV, HEAVY_MASSES_MeV

#: A box large enough to contain anything the tests shoot (cm).
BIG_BOX = ((-1e4, -1e4, -1e4), (1e4, 1e4, 1e4))


def mass_MeV(pdg: int) -> float:
    """Rest mass of the particles the tests shoot."""
    if abs(pdg) == 11:
        return ELECTRON_MASS_MeV
    return HEAVY_MASSES_MeV.get(abs(pdg), 0.0)


def gun(pdg: int, ke_MeV, n: int = 1, direction=(0.0, 0.0, 1.0), position_cm=(0.0, 0.0, 0.0),
        semantic: int = Semantic.NEUTRINO) -> np.ndarray:
    """n primaries of one species; ke_MeV may be a scalar or one value per particle."""
    primaries = make_primaries(n)
    primaries["pdg"] = pdg
    ke = np.broadcast_to(np.asarray(ke_MeV, float), (n,))
    p = np.sqrt(ke * (ke + 2.0 * mass_MeV(pdg)))
    u = np.asarray(direction, float) / np.linalg.norm(direction)
    primaries["px_MeV"], primaries["py_MeV"], primaries["pz_MeV"] = p * u[0], p * u[1], p * u[2]
    primaries["x_cm"], primaries["y_cm"], primaries["z_cm"] = position_cm
    primaries["semantic"] = semantic
    return primaries


def ke_for_momentum(pdg: int, p_MeV: float) -> float:
    """Kinetic energy of a particle of momentum p_MeV."""
    m = mass_MeV(pdg)
    return float(np.hypot(p_MeV, m) - m)


def positions(deposits: Deposits, mask=slice(None)) -> np.ndarray:
    """(n, 3) deposit positions in cm."""
    return np.stack([deposits.x_cm[mask], deposits.y_cm[mask], deposits.z_cm[mask]], axis=1)


def mode(values: np.ndarray, bin_width: float) -> float:
    """Peak of a distribution: the fullest histogram bin refined by a parabola through its neighbours."""
    values = np.asarray(values, float)
    edges = np.arange(values.min(), values.max() + 2 * bin_width, bin_width)
    counts, edges = np.histogram(values, bins=edges)
    i = int(np.clip(np.argmax(counts), 1, len(counts) - 2))
    left, mid, right = counts[i - 1:i + 2].astype(float)
    denominator = left - 2 * mid + right
    shift = 0.5 * (left - right) / denominator if denominator != 0 else 0.0
    return float(edges[i] + (0.5 + shift) * bin_width)
