"""Single-particle gun: classes, energies, directions, vertices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.errors import ConfigError
from argonet.event import EVENT_CLASSES, Semantic
from argonet.sim.detector import LARIAT, SBND
from argonet.sim.generators.gun import GUN_PARTICLES, sample_kinetic_MeV, shoot
from argonet.sim.generators.placement import fiducial_bounds


def _kinetic_MeV(row, mass_MeV: float) -> float:
    p = math.sqrt(row["px_MeV"] ** 2 + row["py_MeV"] ** 2 + row["pz_MeV"] ** 2)
    return math.hypot(p, mass_MeV) - mass_MeV


@pytest.mark.parametrize("name", sorted(GUN_PARTICLES))
def test_each_particle_has_its_class_pdg_and_energy(name):
    rng = np.random.default_rng(0)
    pdg, mass_MeV, class_name = GUN_PARTICLES[name]
    lo, hi = fiducial_bounds(SBND, 10.0)
    for _ in range(20):
        primaries, truth = shoot([name], SBND, rng, ke_MeV_min=100.0, ke_MeV_max=300.0)
        assert len(primaries) == 1 and primaries["pdg"][0] == pdg
        assert truth.class_name == class_name and class_name in EVENT_CLASSES
        assert 100.0 - 1e-6 <= _kinetic_MeV(primaries[0], mass_MeV) <= 300.0 + 1e-6
        assert all(l <= v <= h for l, v, h in zip(lo, truth.vertex_cm, hi))
        assert primaries["semantic"][0] == Semantic.NEUTRINO and primaries["t_ns"][0] == 0.0
        assert truth.nu_pdg == 0 and truth.current_type == -1 and truth.interaction_type == -1


def test_uniform_and_log_uniform_kinetic_energy():
    rng = np.random.default_rng(1)
    uniform = np.array([sample_kinetic_MeV(rng, 50.0, 1000.0) for _ in range(20_000)])
    assert uniform.min() >= 50.0 and uniform.max() <= 1000.0
    assert uniform.mean() == pytest.approx(525.0, rel=0.01)
    log = np.array([sample_kinetic_MeV(rng, 50.0, 1000.0, "log") for _ in range(20_000)])
    assert np.median(log) == pytest.approx(math.sqrt(50.0 * 1000.0), rel=0.03)
    assert np.mean(log < 100.0) == pytest.approx(math.log(2.0) / math.log(20.0), abs=0.01)


def test_isotropic_and_beam_directions():
    rng = np.random.default_rng(2)
    cos_z = []
    for _ in range(4000):
        p = shoot(["mu-"], SBND, rng)[0][0]
        cos_z.append(p["pz_MeV"] / math.sqrt(p["px_MeV"] ** 2 + p["py_MeV"] ** 2 + p["pz_MeV"] ** 2))
    cos_z = np.array(cos_z)
    assert abs(cos_z.mean()) < 0.03 and np.mean(cos_z > 0.5) == pytest.approx(0.25, abs=0.025)
    beam = shoot(["p"], SBND, rng, direction="beam")[0][0]
    assert beam["px_MeV"] == 0.0 and beam["py_MeV"] == 0.0 and beam["pz_MeV"] > 0.0


def test_particles_drawn_evenly():
    rng = np.random.default_rng(3)
    names = ["e-", "gamma", "mu-", "pi-", "p"]
    classes = [shoot(names, SBND, rng)[1].class_name for _ in range(2500)]
    for c in ("SINGLE_E", "SINGLE_GAMMA", "SINGLE_MU", "SINGLE_PI", "SINGLE_P"):
        assert classes.count(c) / 2500 == pytest.approx(0.2, abs=0.03)


def test_bad_gun_settings_name_the_field():
    rng = np.random.default_rng(4)
    with pytest.raises(ConfigError, match="^generator.particles:"):
        shoot(["kaon"], SBND, rng)
    with pytest.raises(ConfigError, match="^generator.direction:"):
        shoot(["p"], SBND, rng, direction="down")
    with pytest.raises(ConfigError, match="^generator.ke_spectrum:"):
        shoot(["p"], SBND, rng, ke_spectrum="gauss")
    with pytest.raises(ConfigError, match="^generator.fiducial_margin_cm:.*lariat"):
        shoot(["p"], LARIAT, rng, margin_cm=25.0)
