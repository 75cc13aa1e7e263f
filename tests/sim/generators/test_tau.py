"""Tau decays against the PDG branching fractions and four-momentum conservation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.sim.generators.kinematics import add, mass
from argonet.sim.generators.tau import TAU, TAU_MASS_GeV, decay_tau


def _tau(p_GeV: float = 10.0):
    return (math.hypot(p_GeV, TAU_MASS_GeV), 0.0, 0.0, p_GeV)


def test_decays_conserve_four_momentum_and_keep_the_tau_mass():
    rng = np.random.default_rng(0)
    for _ in range(200):
        daughters = decay_tau(TAU, _tau(), rng)
        total = add(*[p4 for _, p4 in daughters])
        assert total == pytest.approx(_tau(), abs=1e-9)
        assert mass(total) == pytest.approx(TAU_MASS_GeV, rel=1e-9)
        assert 16 in [pdg for pdg, _ in daughters]                      # a nu_tau always leaves


def test_branching_fractions_follow_the_pdg():
    """PDG: e 17.82 %, mu 17.39 %, pi 10.82 %, pi pi0 25.49 % of all tau- decays; among the modes
    modelled (93.55 %) the leptonic ones are 37.6 %."""
    rng = np.random.default_rng(1)
    modes = [tuple(sorted(pdg for pdg, _ in decay_tau(TAU, _tau(), rng))) for _ in range(8000)]
    covered = 0.9355
    electron = np.mean([11 in m for m in modes])
    muon = np.mean([13 in m for m in modes])
    one_pi = np.mean([m == (-211, 16) for m in modes])
    rho = np.mean([m == (-211, 16, 111) for m in modes])
    assert electron == pytest.approx(0.1782 / covered, abs=0.015)
    assert muon == pytest.approx(0.1739 / covered, abs=0.015)
    assert one_pi == pytest.approx(0.1082 / covered, abs=0.015)
    assert rho == pytest.approx(0.2549 / covered, abs=0.015)


def test_tau_plus_decays_to_the_charge_conjugates():
    rng = np.random.default_rng(2)
    charged = {pdg for _ in range(300) for pdg, _ in decay_tau(-TAU, _tau(), rng) if abs(pdg) in (11, 13, 211)}
    assert charged <= {-11, -13, 211, -211} and 211 in charged and -11 in charged and -211 in charged
