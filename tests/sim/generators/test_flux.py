"""BNB flux sampling and the cross sections that weight it, against lartpc-physics.md §5.1/§5.3."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.errors import ConfigError
from argonet.sim.generators import flux, xsec

# The §5.1 figures are for the full flux; the table stops at 3 GeV and its 0.6 % tail above
# is continued by flux.py, so the comparisons use e_max well above 3 GeV.
FULL_GeV = 100.0


def test_table_and_tail_hold_the_whole_flux():
    # §5.1: the 30 bins plus "0.6 % of the flux is above 3 GeV" make up the normalised flux
    e = np.linspace(0.0, FULL_GeV, 2_000_001)
    total = np.trapezoid(flux.bnb_flux_density(e), e)
    assert total == pytest.approx(flux.BNB_NUMU_FLUX.sum() + 0.006, abs=5e-4)
    assert total == pytest.approx(1.0, abs=2e-3)


def test_mean_numu_energy_is_0p82_GeV():
    # §9 check 23 / §5.1: <E_numu> = 0.82 GeV, tolerance 2 %
    assert flux.mean_energy_GeV("flux", FULL_GeV) == pytest.approx(0.82, rel=0.02)
    sampled = flux.sample_energy_GeV("flux", np.random.default_rng(1), FULL_GeV, size=200_000)
    assert sampled.mean() == pytest.approx(0.82, rel=0.02)


def test_flux_quantiles_match_section_5_1():
    # §5.1: 90 % of the flux below 1.43 GeV, 99 % below 2.5 GeV, peak ≈ 0.6 GeV
    sampled = flux.sample_energy_GeV("flux", np.random.default_rng(2), FULL_GeV, size=200_000)
    assert np.quantile(sampled, 0.90) == pytest.approx(1.43, rel=0.03)
    assert np.quantile(sampled, 0.99) == pytest.approx(2.5, rel=0.05)
    counts, edges = np.histogram(sampled, bins=30, range=(0.0, 3.0))
    assert 0.5 <= edges[np.argmax(counts)] <= 0.6


def test_llewellyn_smith_cross_section_matches_published_values():
    # §5.3: free-nucleon LS CCQE (M_A = 1.0 GeV) in 1e-38 cm^2 per neutron
    energies = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0]
    published = [0.48, 0.82, 1.02, 1.06, 1.07, 1.05]
    got = xsec.ccqe_cross_section_cm2(energies) / 1e-38
    np.testing.assert_allclose(got, published, rtol=0.02)


def test_flux_averaged_ccqe_cross_section():
    # §5.3: flux-averaged 0.86e-38 cm^2 per neutron
    edges, cdf = flux._energy_table("flux", FULL_GeV)
    weights = np.diff(np.concatenate([[0.0], cdf]))
    centres = 0.5 * (edges[1:] + edges[:-1])
    average = np.sum(weights * xsec.ccqe_cross_section_cm2(centres)) / 1e-38
    assert average == pytest.approx(0.86, rel=0.02)


def test_rate_weighted_energies():
    # §5.1: rate-weighted <E_nu> ≈ 0.94 GeV for CCQE (computed there with the LS cross section)
    assert flux.mean_energy_GeV("qe_mu", FULL_GeV) == pytest.approx(0.94, rel=0.02)
    # "higher for RES (~1.1-1.3 GeV)": §5.6 fixes the RES shape only up to "or similar", so this
    # is checked over the table's own range (the default nu_energy_GeV_max of 3 GeV)
    assert 1.1 <= flux.mean_energy_GeV("res", 3.0) <= 1.3


def test_samples_stay_below_e_max_and_above_threshold():
    rng = np.random.default_rng(3)
    e = flux.sample_energy_GeV("res", rng, 2.0, size=20_000)
    assert e.max() <= 2.0 and e.min() > xsec.RES_THRESHOLD_GeV
    e = flux.sample_energy_GeV("dis_mu", rng, 3.0, size=20_000)
    assert e.min() > xsec.dis_threshold_GeV(0.1056583755)


def test_e_max_below_threshold_names_the_field():
    with pytest.raises(ConfigError, match=r"^generator.nu_energy_GeV_max: .*threshold"):
        flux.sample_energy_GeV("dis_mu", np.random.default_rng(0), 1.0)


def test_unknown_spectrum_is_a_config_error():
    with pytest.raises(ConfigError, match="valid: flux"):
        flux.sample_energy_GeV("qe_tau", np.random.default_rng(0))
