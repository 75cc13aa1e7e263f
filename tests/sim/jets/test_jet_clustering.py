"""FastJet wrappers on hand-made events: anti-kT jets, exclusive kT subjets, soft-drop grooming."""

from __future__ import annotations

from jet_particles import massless
import numpy as np
import pytest

from argonet.sim.jets.clustering import antikt_jets, exclusive_kt_subjets, soft_drop
from argonet.sim.jets.features import invariant_mass
from argonet.sim.jets.preprocess import pt_rap_phi


def two_prongs(z: float, pt: float = 1000.0, separation: float = 0.3) -> np.ndarray:
    """A hard prong and a softer one carrying the fraction z, each of two close particles."""
    return massless([(1 - z) * pt * 0.6, (1 - z) * pt * 0.4, z * pt * 0.5, z * pt * 0.5],
                    [0.0, 0.02, separation, separation + 0.02], [0.5, 0.51, 0.5, 0.49])


def test_antikt_finds_the_two_jets_of_an_event_hardest_first():
    event = np.concatenate([two_prongs(0.3), massless([400.0, 5.0], [-1.5, 3.0], [-2.5, 0.0])])
    jets = antikt_jets(event, R=0.8, pt_GeV_min=100.0)
    assert len(jets) == 2
    assert jets[0].pt_GeV == pytest.approx(1000.0, rel=1e-3) and len(jets[0].constituents) == 4
    assert jets[1].pt_GeV == pytest.approx(400.0) and jets[1].eta == pytest.approx(-1.5)
    assert jets[1].phi == pytest.approx(-2.5)
    np.testing.assert_allclose(jets[0].constituents.sum(axis=0), jets[0].p4)
    assert antikt_jets(np.zeros((0, 4)), 0.8, 10.0) == []


def test_exclusive_subjets_are_the_prongs_along_their_hardest_particles():
    prongs = two_prongs(0.3)
    pt, eta, phi = pt_rap_phi(prongs)
    one, two, three = exclusive_kt_subjets(prongs, (1, 2, 3))
    # winner-take-all: each subjet points along its hardest particle and carries the scalar pT sum
    sub_pt, sub_eta, sub_phi = pt_rap_phi(two)
    np.testing.assert_allclose(sub_pt, [pt[:2].sum(), pt[2:].sum()])    # hardest first
    np.testing.assert_allclose(sub_eta, [eta[0], eta[2]], atol=1e-9)
    np.testing.assert_allclose(sub_phi, [phi[0], phi[2]], atol=1e-9)
    np.testing.assert_allclose(pt_rap_phi(one)[1:], [[eta[0]], [phi[0]]], atol=1e-9)     # one axis: the hardest
    assert three.shape == (3, 4)
    assert [len(s) for s in exclusive_kt_subjets(prongs[:1], (1, 2))] == [1, 1]


def test_soft_drop_removes_a_soft_wide_prong_and_keeps_a_hard_one():
    # z_cut = 0.1, beta = 0: a prong with z = 0.05 is dropped, one with z = 0.3 is kept
    soft = two_prongs(0.05)
    assert soft_drop(soft, R0=0.8).tolist() == [True, True, False, False]
    hard = two_prongs(0.3)
    assert soft_drop(hard, R0=0.8).all()
    assert invariant_mass(soft[soft_drop(soft, R0=0.8)]) == pytest.approx(invariant_mass(soft[:2]))   # 10 of 67 GeV
    assert soft_drop(soft[:0], R0=0.8).shape == (0,)
