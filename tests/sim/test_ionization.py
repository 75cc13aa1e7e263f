"""Ionisation yield and recombination against lartpc-physics.md §2.1-§2.2 and §9 check 7."""

import numpy as np
import pytest

from argonet.errors import ConfigError
from argonet.sim.ionization import (deposit_dEdx, electrons, recombination, recombination_birks,
                                    recombination_modbox)
from hand_deposits import points

# §2.2 table ("computed here", rho = 1.383): dE/dx (MeV/cm) and R for each model / field.
DEDX = np.array([1.7, 2.1, 5.0, 10.0, 20.0, 30.0])
MODBOX_500 = np.array([0.714, 0.704, 0.588, 0.452, 0.319, 0.252])
BIRKS_500 = np.array([0.715, 0.697, 0.592, 0.470, 0.333, 0.257])
MODBOX_2739 = np.array([0.664, 0.633, 0.470, 0.335, 0.223, 0.171])
DQDX_MODBOX_500 = np.array([51_500, 62_700, 124_600, 191_500, 270_200, 320_000])   # e-/cm


def test_check7_modbox_at_500_V_per_cm():
    """§9 check 7: R = 0.704 at 2.1 MeV/cm and 0.452 at 10 MeV/cm (<= 1 %), and the whole §2.2 column."""
    r = recombination_modbox(DEDX, 0.500)
    np.testing.assert_allclose(r, MODBOX_500, rtol=0.01)
    np.testing.assert_allclose(recombination_modbox([2.1, 10.0], 0.5), [0.704, 0.452], rtol=0.01)


def test_modbox_at_microboone_field():
    """§2.2 table, ModBox column at 273.9 V/cm."""
    np.testing.assert_allclose(recombination_modbox(DEDX, 0.2739), MODBOX_2739, rtol=0.01)


def test_birks_at_500_V_per_cm():
    """§2.2 table, Birks column at 500 V/cm."""
    np.testing.assert_allclose(recombination_birks(DEDX, 0.500), BIRKS_500, rtol=0.01)


def test_dispatch_by_name_matches_models():
    np.testing.assert_array_equal(recombination(DEDX, 0.5, "modbox"), recombination_modbox(DEDX, 0.5))
    np.testing.assert_array_equal(recombination(DEDX, 0.5, "birks"), recombination_birks(DEDX, 0.5))


def test_electrons_per_cm_match_dQdx_column():
    """§2.2 dQ/dx column: W = 23.6 eV (42,370 e-/MeV, §2.1) times R, for 1 cm steps."""
    deposits = points(np.zeros((len(DEDX), 3)), DEDX, dx_cm=1.0)
    np.testing.assert_allclose(electrons(deposits, 0.5, "modbox"), DQDX_MODBOX_500, rtol=0.01)


def test_mip_charge_per_3mm_wire():
    """§2.2: a MIP leaves 15.4 k e- (MPV, 1.7 MeV/cm) to 18.8 k e- (mean, 2.1 MeV/cm) per 3 mm at 500 V/cm,
    and 14.4 k - 16.9 k e- at 273.9 V/cm."""
    deposits = points(np.zeros((2, 3)), [1.7 * 0.3, 2.1 * 0.3], dx_cm=0.3)
    np.testing.assert_allclose(electrons(deposits, 0.5), [15_400, 18_800], rtol=0.01)
    np.testing.assert_allclose(electrons(deposits, 0.2739), [14_400, 16_900], rtol=0.01)


def test_yield_before_recombination_is_w_value():
    """§2.1: 42,370 e- per MeV before recombination, so electrons / R is the W-value yield."""
    deposits = points(np.zeros((3, 3)), [1.0, 2.0, 0.5], dx_cm=[0.5, 0.4, 0.02])
    raw = electrons(deposits, 0.5) / recombination(deposit_dEdx(deposits), 0.5)
    np.testing.assert_allclose(raw / deposits.dE_MeV, 42_370, rtol=1e-3)


@pytest.mark.parametrize("model", ["modbox", "birks"])
def test_guarded_for_vanishing_dEdx(model):
    """xi -> 0: R stays finite, positive and <= 1 (the LArSoft 1 MeV/cm floor), and point deposits
    (dx = 0) are treated as minimum ionising instead of producing inf/nan."""
    r = recombination([0.0, 1e-9, 0.3, 1.0], 0.5, model)
    assert np.all(np.isfinite(r)) and np.all((r > 0) & (r <= 1))
    np.testing.assert_allclose(r[:3], r[3])
    deposits = points(np.zeros((2, 3)), [0.5, 0.0], dx_cm=0.0)
    n_e = electrons(deposits, 0.5, model)
    assert np.all(np.isfinite(n_e)) and n_e[1] == 0
    np.testing.assert_allclose(n_e[0], 0.5 * 42_370 * recombination(2.105, 0.5, model), rtol=1e-3)


def test_vectorised_shape_and_empty_input():
    grid = np.full((4, 5), 2.1)
    assert recombination(grid, 0.5).shape == (4, 5)
    assert electrons(points(np.zeros((0, 3)), 1.0), 0.5).shape == (0,)


def test_bad_model_and_field_name_the_field():
    with pytest.raises(ConfigError, match="physics.recombination"):
        recombination(2.1, 0.5, "box")
    with pytest.raises(ConfigError, match="physics.recombination"):
        electrons(points(np.zeros((0, 3)), 1.0), 0.5, "box")
    with pytest.raises(ConfigError, match="drift_field_kV_per_cm"):
        recombination_modbox(2.1, 0.0)
