"""Decays of the tau lepton of nu_tau CC events (it decays at the vertex: c·tau = 87 µm).

The main tau- decay modes with their PDG branching fractions (PDG 2024 Review, tau- listings,
rounded), renormalised to the 93.6 % they cover (the rest: kaon and rarer modes). Momenta follow
n-body phase space in the tau rest frame (no V-A matrix element, no rho/a1 line shapes, the tau
unpolarised): the energy shared by the visible daughters, which sets the size of the event, is
what matters for the images. Charge conjugates serve a tau+. Four-vectors in GeV.
"""

from __future__ import annotations

import numpy as np

from argonet import units
from argonet.sim.generators.kinematics import Vec4, n_body_decay
from argonet.sim.generators.nuclear import MASS_GeV, PI_MINUS, PI_PLUS, PI_ZERO, Hadron

TAU = 15
TAU_MASS_GeV = units.tau_mass_MeV / units.MeV_per_GeV
ELECTRON, MUON, NU_E, NU_MU, NU_TAU = 11, 13, 12, 14, 16

#: (branching fraction, tau- daughters)
TAU_DECAYS: tuple[tuple[float, tuple[int, ...]], ...] = (
    (0.1782, (ELECTRON, -NU_E, NU_TAU)),
    (0.1739, (MUON, -NU_MU, NU_TAU)),
    (0.1082, (PI_MINUS, NU_TAU)),
    (0.2549, (PI_MINUS, PI_ZERO, NU_TAU)),
    (0.0926, (PI_MINUS, PI_ZERO, PI_ZERO, NU_TAU)),
    (0.0899, (PI_MINUS, PI_MINUS, PI_PLUS, NU_TAU)),
    (0.0274, (PI_MINUS, PI_MINUS, PI_PLUS, PI_ZERO, NU_TAU)),
    (0.0104, (PI_MINUS, PI_ZERO, PI_ZERO, PI_ZERO, NU_TAU)),
)
_MASS_GeV = {**MASS_GeV, ELECTRON: units.electron_mass_MeV / units.MeV_per_GeV,
             MUON: units.muon_mass_MeV / units.MeV_per_GeV, NU_E: 0.0, NU_MU: 0.0, NU_TAU: 0.0}


def _conjugate(pdg: int) -> int:
    """The antiparticle's code (pi0 is its own)."""
    return pdg if pdg == PI_ZERO else -pdg


def decay_tau(pdg: int, p4: Vec4, rng: np.random.Generator) -> list[Hadron]:
    """The daughters (pdg, four-momentum in GeV) of a tau (pdg ±15) of four-momentum p4."""
    weights = np.array([b for b, _ in TAU_DECAYS])
    mode = TAU_DECAYS[int(np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right"))][1]
    daughters = mode if pdg == TAU else tuple(_conjugate(d) for d in mode)
    momenta = n_body_decay(p4, [_MASS_GeV[abs(d)] for d in daughters], rng)
    return list(zip(daughters, momenta))
