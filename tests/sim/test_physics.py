"""Energy-loss physics against the published numbers of lartpc-physics.md §3-§4."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.errors import ConfigError
from argonet.sim import eloss_tables, physics
from argonet.sim.draws import stream_from
from argonet.units import landau_mode_lambda

MUON_MASS = physics.HEAVY_MASSES_MeV[13]

# §3.3 CSDA range table (cm): KE -> (muon, pion, proton)
RANGE_TABLE_CM = {
    20: (2.38, 1.94, 0.451), 30: (4.73, 3.90, 0.924), 50: (10.82, 9.15, 2.29), 75: (20.1, 17.4, 4.69),
    100: (30.44, 26.9, 7.79), 150: (52.8, 48.0, 15.81), 200: (76.15, 70.6, 25.89), 300: (123.6, 117.5, 51.0),
    500: (217.4, 212.3, 115.3), 1000: (441.5, 441.8, 318.3),
}


@pytest.mark.parametrize("ke_MeV", sorted(RANGE_TABLE_CM))
def test_csda_range_matches_section_3_3_table(ke_MeV):
    """§9 check 1 (table function): ≤ 2 % from 20 MeV to 1 GeV for μ, π, p."""
    for pdg, expected in zip((13, 211, 2212), RANGE_TABLE_CM[ke_MeV]):
        assert physics.csda_range_cm(pdg, ke_MeV) == pytest.approx(expected, rel=0.02)


def test_range_inverse_and_antiparticles():
    """kinetic_energy_from_range_MeV inverts csda_range_cm; μ⁺ and μ⁻ share the table."""
    ke = np.array([5.0, 40.0, 400.0, 4000.0])
    r = physics.csda_range_cm(-13, ke)
    assert np.allclose(physics.kinetic_energy_from_range_MeV(13, r), ke, rtol=1e-4)
    assert physics.csda_range_cm(2212, 0.0) == 0.0


def test_useful_consequences_of_section_3_3():
    """§3.3: a 2 m stopping muon has ≈ 0.46 GeV; a 4.12 MeV μ⁺ travels 1.5 mm."""
    assert physics.kinetic_energy_from_range_MeV(13, 200.0) == pytest.approx(460.0, rel=0.02)
    assert physics.csda_range_cm(-13, 4.12) == pytest.approx(0.15, rel=0.1)


def test_minimum_ionisation():
    """§3.1: minimum 1.508 MeV cm²/g = 2.105 MeV/cm, for a muon at p ≈ 0.35 GeV/c."""
    p = np.linspace(100.0, 1500.0, 2801)
    ke = np.hypot(p, MUON_MASS) - MUON_MASS
    dedx = physics.mean_dedx_MeV_per_cm(13, ke)
    assert dedx.min() == pytest.approx(2.105, rel=0.005)
    assert p[np.argmin(dedx)] == pytest.approx(350.0, rel=0.15)


@pytest.mark.parametrize("rr_cm, proton_ke, proton_dedx, muon_ke, muon_dedx", [
    (0.5, 21.3, 24.1, 8.3, 9.1), (1, 31.5, 17.7, 12.2, 6.9), (5, 77.8, 8.8, 31.1, 3.7),
    (20, 171.9, 5.0, 74.8, 2.5), (50, 296.1, 3.6, 143.9, 2.2)])
def test_bragg_table_of_section_3_4(rr_cm, proton_ke, proton_dedx, muon_ke, muon_dedx):
    """§3.4: kinetic energy and mean dE/dx at a residual range, protons and muons (≤ 2 %)."""
    for pdg, ke_ref, dedx_ref in ((2212, proton_ke, proton_dedx), (13, muon_ke, muon_dedx)):
        ke = physics.kinetic_energy_from_range_MeV(pdg, rr_cm)
        assert ke == pytest.approx(ke_ref, rel=0.02)
        assert physics.mean_dedx_MeV_per_cm(pdg, ke) == pytest.approx(dedx_ref, rel=0.02)


@pytest.mark.parametrize("thickness_cm, row", [
    (0.3, (1.63, 1.58, 1.61, 1.68, 1.72)), (0.5, (1.69, 1.63, 1.66, 1.73, 1.77)),
    (1.0, (1.76, 1.70, 1.72, 1.79, 1.84))])
def test_landau_mpv_table_of_section_3_5(thickness_cm, row):
    """§3.5: most probable dE/dx of muons at p = 0.3, 0.5, 1, 3, 10 GeV/c (≤ 1 %)."""
    p = np.array([300.0, 500.0, 1000.0, 3000.0, 10000.0])
    ke = np.hypot(p, MUON_MASS) - MUON_MASS
    mpv = physics.landau_mpv_MeV(ke, MUON_MASS, thickness_cm) / thickness_cm
    assert np.allclose(mpv, row, rtol=0.01)


@pytest.mark.parametrize("x_cm, mrad", [(14.0, (77, 28, 14, 6.8)), (5.0, (44, 16, 7.9, 3.9)),
                                        (1.0, (18.5, 6.7, 3.3, 1.6))])
def test_highland_numbers_of_section_3_7(x_cm, mrad):
    """§3.7: θ0 for muons of p = 0.2, 0.5, 1, 2 GeV/c (≤ 3 %)."""
    p = np.array([200.0, 500.0, 1000.0, 2000.0])
    beta = p / np.hypot(p, MUON_MASS)
    assert np.allclose(physics.highland_theta0_rad(p, beta, x_cm) * 1e3, mrad, rtol=0.03)


@pytest.mark.parametrize("ke, collision, radiative, range_total", [
    (0.5, 2.07, 0.07, 0.17), (1, 1.91, 0.11, 0.41), (3, 1.98, 0.25, 1.36), (10, 2.17, 0.75, 4.1),
    (30, 2.33, 2.18, 9.5), (52.8, 2.40, 3.81, 13.8)])
def test_electron_losses_of_section_3_8(ke, collision, radiative, range_total):
    """§3.8: e⁻ collision and radiative dE/dx and CSDA range with radiative loss (≤ 3 %)."""
    assert physics.electron_collision_dedx_MeV_per_cm(ke) == pytest.approx(collision, rel=0.01)
    assert physics.electron_radiative_dedx_MeV_per_cm(ke) == pytest.approx(radiative, rel=0.03, abs=0.005)
    assert physics.csda_range_cm(11, ke) == pytest.approx(range_total, rel=0.03)
    assert physics.mean_dedx_MeV_per_cm(11, ke) == pytest.approx(collision + radiative, rel=0.02)


def test_photon_attenuation_of_section_4():
    """§4: ≈ 12 cm at 1 MeV, 26-27 cm at 5-10 MeV, 20 cm at 100 MeV, 18 cm (9/7 X0) at high energy."""
    length = physics.photon_attenuation_length_cm
    assert length(1.0) == pytest.approx(12.0, rel=0.1)
    assert 24.0 <= length(5.0) <= 29.0 and 24.0 <= length(10.0) <= 29.0
    assert length(100.0) == pytest.approx(20.0, rel=0.05)
    assert length(5000.0) == pytest.approx(18.0, rel=0.01)
    # below the pair threshold photons only Compton-scatter
    assert length(0.8) == pytest.approx(physics.compton_attenuation_length_cm(0.8))


def test_unknown_species_is_a_config_error():
    """Asking for a stopping power of an untracked particle names the field and the valid codes."""
    with pytest.raises(ConfigError, match="pdg"):
        physics.csda_range_cm(2112, 100.0)
    with pytest.raises(ConfigError, match="pdg"):
        physics.mean_dedx_MeV_per_cm(22, 10.0)


def test_landau_table_has_the_universal_mode():
    """The sampled λ table reproduces the Landau mode λ = -0.22278 (PDG)."""
    lam = eloss_tables.TABLES[eloss_tables.O_LAMBDA:eloss_tables.O_WMAX]
    w = np.linspace(0.0, eloss_tables.W_MAX, eloss_tables.N_W)
    density = np.gradient(-np.expm1(-w), lam)         # dF/dλ
    core = (lam > -2.0) & (lam < 2.0)
    assert lam[core][np.argmax(density[core])] == pytest.approx(landau_mode_lambda, abs=0.03)


def test_stored_landau_table_is_scipys_quantile():
    """The λ(w) table shipped with the package (read instead of importing scipy.stats) is scipy's
    Landau quantile on today's grid, and is what the kernels' tables hold."""
    stored = np.load(eloss_tables.LANDAU_LAMBDA_FILE)
    exact = eloss_tables.landau_lambda_exact()
    assert stored.shape == (eloss_tables.N_W,)
    np.testing.assert_allclose(stored, exact, rtol=1e-10, atol=1e-12)  # scipy's inversion: last digits vary by CPU
    np.testing.assert_array_equal(eloss_tables.TABLES[eloss_tables.O_LAMBDA:eloss_tables.O_WMAX], stored)


def _sample_losses(mean, xi, mpv, tmax, beta2, n=40000):
    """n draws of the per-step energy-loss sampler."""
    state = stream_from(np.random.default_rng(7))
    return np.array([eloss_tables.sample_energy_loss(state, eloss_tables.TABLES, mean, xi, mpv, tmax, beta2)
                     for _ in range(n)])


def test_thin_step_loss_keeps_the_pdg_mpv_and_the_mean():
    """§3.5: 0.3 cm of a 1 GeV/c muon: MPV 1.61 MeV/cm, FWHM ≈ 4ξ, mean = restricted Bethe mean."""
    p, x, cut = 1000.0, 0.3, 1.0
    ke = np.hypot(p, MUON_MASS) - MUON_MASS
    beta2 = p**2 / (p**2 + MUON_MASS**2)
    xi = physics.XI_PER_CM_MeV * x / beta2
    mpv = float(physics.landau_mpv_MeV(ke, MUON_MASS, x))
    mean = 1.93 * x                           # restricted Bethe (δ-rays above 1 MeV removed), MeV
    losses = _sample_losses(mean, xi, mpv, cut, beta2)
    assert losses.mean() == pytest.approx(mean, rel=0.01)
    counts, edges = np.histogram(losses / x, bins=np.arange(1.0, 2.6, 0.01))
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert centres[np.argmax(counts)] == pytest.approx(1.61, rel=0.03)
    above = centres[counts >= counts.max() / 2]
    assert (above[-1] - above[0]) * x == pytest.approx(4.0 * xi, rel=0.15)


def test_thick_step_loss_is_gaussian_with_bohr_width():
    """Vavilov κ ≫ 1 (slow proton, thick step): Gaussian of Bohr width ξ·T_max·(1 - β²/2)."""
    mean, xi, tmax, beta2 = 3.0, 0.5, 0.02, 0.05
    losses = _sample_losses(mean, xi, 0.0, tmax, beta2)
    assert losses.mean() == pytest.approx(mean, rel=0.005)
    assert losses.std() == pytest.approx(np.sqrt(xi * tmax * (1 - beta2 / 2)), rel=0.03)
