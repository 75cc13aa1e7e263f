"""Decay kinematics: pi0 → gamma gamma against lartpc-physics.md §4 and §9 check 14."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.sim.generators.kinematics import add, boost, mass, n_body_decay, pi0_to_photons, two_body_decay


def _opening_angle_deg(a, b) -> float:
    dot = a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (a[0] * b[0])))))


def test_pi0_photons_have_the_pi0_mass():
    # §9 check 14: m_gg = sqrt(2 E1 E2 (1 - cos)) = 135.0 MeV at truth level (≤ 0.5 %)
    rng = np.random.default_rng(0)
    for p in ([0.0, 0.0, 10.0], [120.0, -40.0, 300.0], [0.0, 900.0, 0.0]):
        g1, g2 = pi0_to_photons(tuple(p), rng)
        m_gg = math.sqrt(2.0 * g1[0] * g2[0] * (1.0 - math.cos(math.radians(_opening_angle_deg(g1, g2)))))
        assert m_gg == pytest.approx(135.0, rel=0.005)
        assert mass(g1) == pytest.approx(0.0, abs=1e-3) and mass(g2) == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize("p_MeV, theta_min_deg, median_deg, e_range", [
    (100.0, 107.0, 115.0, (34.0, 134.0)),
    (300.0, 48.0, 55.0, (14.0, 314.0)),
    (800.0, 19.0, 22.0, (6.0, 806.0)),
])
def test_pi0_opening_angles_match_the_section_4_table(p_MeV, theta_min_deg, median_deg, e_range):
    # §4 table: minimum and median opening angle, photon-energy range for a given p_pi0
    rng = np.random.default_rng(1)
    angles, energies = [], []
    for _ in range(4000):
        g1, g2 = pi0_to_photons((0.0, 0.0, p_MeV), rng)
        angles.append(_opening_angle_deg(g1, g2))
        energies += [g1[0], g2[0]]
    assert min(angles) == pytest.approx(theta_min_deg, abs=1.0)
    assert np.median(angles) == pytest.approx(median_deg, abs=1.5)
    assert min(energies) >= e_range[0] - 1.0 and max(energies) <= e_range[1] + 1.0
    # photon energy uniform between the limits (§4): mean = E_pi0 / 2
    assert np.mean(energies) == pytest.approx(0.5 * math.hypot(p_MeV, 134.9768), rel=0.02)


def test_boost_round_trip_and_invariance():
    p4 = (5.0, 1.0, -2.0, 3.0)
    beta = (0.3, -0.2, 0.5)
    there = boost(p4, beta)
    back = boost(there, (-0.3, 0.2, -0.5))
    assert back == pytest.approx(p4, abs=1e-12)
    assert mass(there) == pytest.approx(mass(p4), rel=1e-12)


def test_two_body_decay_conserves_four_momentum():
    parent = (2.0, 0.3, 0.4, 1.2)
    d1, d2 = two_body_decay(parent, 0.938, 0.1396, np.random.default_rng(2))
    assert add(d1, d2) == pytest.approx(parent, abs=1e-12)
    assert mass(d1) == pytest.approx(0.938, rel=1e-9) and mass(d2) == pytest.approx(0.1396, rel=1e-6)


def test_n_body_phase_space():
    rng = np.random.default_rng(3)
    parent = (3.0, 0.5, 0.2, 2.0)
    masses = [0.938, 0.1396, 0.1396, 0.135]
    daughters = n_body_decay(parent, masses, rng)
    assert add(*daughters) == pytest.approx(parent, abs=1e-9)
    assert [mass(d) for d in daughters] == pytest.approx(masses, rel=1e-6)
    # massless three-body phase space is flat on the Dalitz plot (E1, E2): each energy has the
    # density 8 E / M^2 on [0, M/2], so P(E < M/4) = 1/4 for every daughter (the unweighted
    # Raubold-Lynch construction gives 0.30 for the last one)
    energies = np.array([[d[0] for d in n_body_decay((1.0, 0.0, 0.0, 0.0), [1e-4] * 3, rng)]
                         for _ in range(4000)])
    np.testing.assert_allclose((energies < 0.25).mean(axis=0), 0.25, atol=0.025)
    np.testing.assert_allclose(energies.mean(axis=0), 1.0 / 3.0, rtol=0.02)


def test_n_body_below_threshold_raises():
    with pytest.raises(ValueError, match="below the sum"):
        n_body_decay((1.0, 0.0, 0.0, 0.0), [0.938, 0.1396], np.random.default_rng(0))


def test_limited_pt_decay_makes_a_jet_along_the_system():
    """DIS hadrons: four-momentum conserved, <pT²> about the system's direction 1/A = 0.29 GeV² (AGKY's
    exp(-A pT²), A = 3.5 GeV⁻²; at W well above the summed transverse masses, where phase space does not
    cut it further), the nucleon at the backward end: the pions form a narrower, forward jet than
    isotropic phase space gives."""
    from argonet.sim.generators.kinematics import limited_pt_decay, n_body_decay
    rng = np.random.default_rng(0)
    masses = [0.938, 0.1396, 0.1396, 0.135, 0.1396]
    system = (math.hypot(10.0, 8.0), 0.0, 0.0, 10.0)            # W = 8 GeV moving along +z

    def pion_jet(hadrons):
        """Sum over pions of energy × pT, energy, energy going backward."""
        pions = hadrons[1:]
        return np.array([sum(h[0] * math.hypot(h[1], h[2]) for h in pions), sum(h[0] for h in pions),
                         sum(h[0] for h in pions if h[3] < 0)])
    pt2, jet, iso = [], np.zeros(3), np.zeros(3)
    for _ in range(300):
        hadrons = limited_pt_decay(system, masses, rng, 1.0 / 3.5)
        assert add(*hadrons) == pytest.approx(system, rel=1e-6)
        pt2 += [h[1] ** 2 + h[2] ** 2 for h in hadrons]
        jet += pion_jet(hadrons)
        iso += pion_jet(n_body_decay(system, masses, rng))
    assert np.mean(pt2) == pytest.approx((1.0 / 3.5) * (1 - 1 / len(masses)), rel=0.1)   # sum of pT made zero
    assert jet[0] / jet[1] < 0.7 * iso[0] / iso[1]
    assert jet[2] / jet[1] <= iso[2] / iso[1]


def test_rapidity_plateau_stays_finite_when_one_sided_and_wide():
    """Two hadrons both on the backward side of a wide plateau (u = -1, -0.9) with W far above their
    transverse masses: the sinh/cosh sums' ratio rounds to exactly 1 in floats there, yet the centre
    y0 must come out finite with sum p_z = 0 and the system's mass W (a 20k DUNE sample once hit it)."""
    from argonet.sim.generators.kinematics import _plateau
    mt, u, w = np.array([0.94, 0.14]), np.array([-1.0, -0.9]), 50.0
    y = _plateau(mt, u, w, 12.0 / 0.1)
    assert y is not None and np.all(np.isfinite(y))
    pz, e = mt * np.sinh(y), mt * np.cosh(y)
    assert abs(pz.sum()) <= 1e-9 * e.sum()
    assert math.sqrt(e.sum() ** 2 - pz.sum() ** 2) == pytest.approx(w, rel=1e-9)
