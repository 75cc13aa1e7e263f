"""Jet observables on hand-made jets whose values follow from their definitions."""

from __future__ import annotations

from jet_particles import massless
import numpy as np
import pytest

from argonet.sim.jets.features import c2_d2, energy_correlations, invariant_mass, nsubjettiness, substructure


def test_invariant_mass_of_two_massless_particles():
    # m^2 = 2 pT1 pT2 (cosh d_eta - cos d_phi): two 100 GeV particles 0.2 apart in phi -> m = 200 sin(0.1)
    p4 = massless([100.0, 100.0], [0.3, 0.3], [1.0, 1.2])
    assert invariant_mass(p4) == pytest.approx(200 * np.sin(0.1), rel=1e-9)
    p4 = massless([300.0, 50.0], [0.0, 0.4], [0.0, 0.0])
    assert invariant_mass(p4) == pytest.approx(np.sqrt(2 * 300 * 50 * (np.cosh(0.4) - 1)), rel=1e-9)
    assert invariant_mass(massless([80.0], [1.0], [2.0])) == pytest.approx(0.0, abs=1e-5)


def test_nsubjettiness_of_a_two_prong_jet():
    pt, eta, phi = np.array([400.0, 400.0]), np.array([0.0, 0.0]), np.array([-0.15, 0.15])
    # one axis half way: each prong 0.15 from it -> tau1 = 0.15 / R; an axis on each prong -> tau2 = 0
    assert nsubjettiness(pt, eta, phi, np.array([0.0]), np.array([0.0]), R=0.8) == pytest.approx(0.15 / 0.8)
    assert nsubjettiness(pt, eta, phi, eta, phi, R=0.8) == 0.0
    assert nsubjettiness(pt, eta, phi, np.array([]), np.array([]), R=0.8) == 0.0


def equilateral(side: float, pt: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three equal-pT particles on an equilateral triangle of the given side in (eta, phi)."""
    angles = np.array([90.0, 210.0, 330.0]) * np.pi / 180
    radius = side / np.sqrt(3)
    return np.full(3, pt), radius * np.cos(angles), 1.0 + radius * np.sin(angles)


def test_energy_correlation_ratios_of_a_symmetric_three_prong_jet():
    # z = 1/3 each, every pair at distance d: e2 = 3 d / 9, e3 = d^3 / 27 -> C2 = d / 3, D2 = 1
    for side in (0.1, 0.3):
        pt, eta, phi = equilateral(side)
        e2, e3 = energy_correlations(pt, eta, phi)
        assert e2 == pytest.approx(side / 3) and e3 == pytest.approx(side ** 3 / 27)
        c2, d2 = c2_d2(pt, eta, phi)
        assert c2 == pytest.approx(side / 3) and d2 == pytest.approx(1.0)
    # two particles have no three-point correlation
    assert c2_d2(np.array([10.0, 5.0]), np.array([0.0, 0.1]), np.array([0.0, 0.0])) == (0.0, 0.0)
    assert c2_d2(np.array([10.0]), np.array([0.0]), np.array([0.0])) == (0.0, 0.0)


def test_substructure_of_a_three_prong_jet_with_its_own_axes():
    pt, eta, phi = equilateral(0.3, pt=200.0)
    constituents = massless(pt, eta, phi)
    axes = (massless([600.0], [eta.mean()], [phi.mean()]), constituents[:2], constituents)
    out = substructure(constituents, axes, R=0.8)
    radius = 0.3 / np.sqrt(3)
    assert out["tau1"] == pytest.approx(radius / 0.8, rel=1e-6)          # every prong one radius from the centre
    assert out["tau2"] == pytest.approx(0.3 / 3 / 0.8, rel=1e-6)          # the third prong one side from an axis
    assert out["tau3"] == pytest.approx(0.0, abs=1e-9) and out["tau32"] == pytest.approx(0.0, abs=1e-8)
    assert out["tau21"] == pytest.approx(out["tau2"] / out["tau1"])
    assert out["d2"] == pytest.approx(1.0) and out["multiplicity"] == 3
