"""The neutron toy: capture and inelastic photon energies, escapes, spread, and nuclear break-ups."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.event import PARTICLE_DTYPE
from argonet.sim.generators.neutrons import (AR40_FIRST_EXCITED_MeV, CAPTURE_Q_MeV, CAPTURE_SPREAD_CM,
                                             CAPTURE_TIME_US, neutron_products, secondary_neutron_primaries)

BOX = ((-1000.0, -1000.0, -1000.0), (1000.0, 1000.0, 1000.0))


def _energy(rows):
    return np.sqrt(rows["px_MeV"] ** 2 + rows["py_MeV"] ** 2 + rows["pz_MeV"] ** 2)


def test_slow_neutron_is_captured_with_the_argon_q_value():
    """40Ar(n,γ)41Ar releases 6.099 MeV in photons; a neutron below 1.5 MeV only gets captured,
    a 3-D Gaussian step of RMS 60 cm per axis away (mean distance σ·sqrt(8/π)), 330 µs later on average."""
    rng = np.random.default_rng(0)
    distances, times = [], []
    for _ in range(2000):
        rows = neutron_products(1.0, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 0.0, BOX, rng, 2)
        assert np.all(rows["pdg"] == 22) and _energy(rows).sum() == pytest.approx(CAPTURE_Q_MeV, rel=1e-4)
        assert np.ptp(rows["x_cm"]) == 0.0 and np.ptp(rows["t_ns"]) == 0.0          # one capture point
        distances.append(np.linalg.norm([rows["x_cm"][0], rows["y_cm"][0], rows["z_cm"][0]]))
        times.append(rows["t_ns"][0])
    assert np.mean(distances) == pytest.approx(CAPTURE_SPREAD_CM * np.sqrt(8 / np.pi), rel=0.05)
    assert np.mean(times) / 1000.0 == pytest.approx(CAPTURE_TIME_US, rel=0.07)


def test_fast_neutron_leaves_inelastic_lines_and_knocked_out_protons():
    rng = np.random.default_rng(1)
    rows = np.concatenate([neutron_products(200.0, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 0.0, BOX, rng, 2)
                           for _ in range(200)])
    photons = rows[rows["pdg"] == 22]
    assert np.isclose(_energy(photons), AR40_FIRST_EXCITED_MeV).sum() > 200       # the 1.461 MeV line
    assert (rows["pdg"] == 2212).sum() > 100
    assert np.all(rows["semantic"] == 2)


def test_neutron_leaving_the_volume_leaves_nothing_more():
    rng = np.random.default_rng(2)
    box = ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0))                    # far smaller than a free path
    counts = [len(neutron_products(20.0, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 0.0, box, rng, 2)) for _ in range(200)]
    assert np.mean(np.array(counts) > 0) < 0.1


def test_nuclear_break_ups_in_transport_boil_off_neutrons():
    """Three products of one pi+ inelastic interaction are one break-up: on average 3 evaporation
    neutrons, i.e. 3 capture cascades of 6.1 MeV (besides their 1.461 MeV inelastic lines); a decay
    product is no break-up."""
    table = np.zeros(4, PARTICLE_DTYPE)
    table["parent_id"] = [5, 5, 5, 6]
    table["process"] = [b"pi+Inelastic", b"pi+Inelastic", b"pi+Inelastic", b"Decay"]
    table["start_cm"] = [(10.0, 20.0, 30.0)] * 3 + [(0.0, 0.0, 0.0)]
    table["semantic"] = 2
    rng = np.random.default_rng(3)
    capture_energy = []
    for _ in range(400):
        energy = _energy(secondary_neutron_primaries(table, BOX, rng))
        capture_energy.append(energy[~np.isclose(energy, AR40_FIRST_EXCITED_MeV)].sum())
    assert np.mean(capture_energy) / CAPTURE_Q_MeV == pytest.approx(3.0, rel=0.15)
    assert len(secondary_neutron_primaries(table[3:], BOX, rng)) == 0
