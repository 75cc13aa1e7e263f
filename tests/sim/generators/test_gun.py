"""Single-particle gun: classes, energies, directions, vertices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.errors import ConfigError
from argonet.event import EVENT_CLASSES, Semantic
from argonet.sim.detector import LARIAT, SBND
from argonet.conf.generators import GunGenerator
from argonet.sim.generators.gun import (GUN_PARTICLES, beam_entry_cm, cone_direction, sample_kinetic_MeV,
                                         sample_momentum_MeV, shoot)
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
        assert all(a <= v <= b for a, v, b in zip(lo, truth.vertex_cm, hi))
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


def _ks_uniform(values: np.ndarray, lo: float, hi: float) -> float:
    """Kolmogorov-Smirnov distance between the sample and the uniform law on [lo, hi]."""
    x = np.sort((values - lo) / (hi - lo))
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - x), np.max(x - np.arange(n) / n)))


def _momentum_MeV(row) -> float:
    return math.sqrt(row["px_MeV"] ** 2 + row["py_MeV"] ** 2 + row["pz_MeV"] ** 2)


def test_beamline_momentum_is_uniform_and_kinetic_energy_follows():
    rng = np.random.default_rng(5)
    n = 3000
    rows = [shoot(["p"], LARIAT, rng, direction="beamline", p_MeV=(100.0, 2000.0))[0][0] for _ in range(n)]
    p = np.array([_momentum_MeV(r) for r in rows])
    assert p.min() >= 100.0 and p.max() <= 2000.0
    assert _ks_uniform(p, 100.0, 2000.0) < 1.36 / math.sqrt(n)          # KS at 95 % confidence
    assert _ks_uniform(p, 100.0, 2200.0) > 1.63 / math.sqrt(n)          # and the test can fail
    ke = np.array([_kinetic_MeV(r, GUN_PARTICLES["p"][1]) for r in rows])
    assert np.allclose(ke, np.hypot(p, 938.272) - 938.272, rtol=1e-6, atol=1e-3)
    log_p = np.array([sample_momentum_MeV(rng, (100.0, 2000.0), "log") for _ in range(n)])
    assert _ks_uniform(np.log(log_p), math.log(100.0), math.log(2000.0)) < 1.36 / math.sqrt(n)


def test_beamline_directions_fill_the_cone_uniformly_in_solid_angle():
    rng = np.random.default_rng(6)
    n, cone_deg = 3000, 5.0
    u = np.array([cone_direction(rng, cone_deg) for _ in range(n)])
    assert np.allclose(np.linalg.norm(u, axis=1), 1.0)
    cos_max = math.cos(math.radians(cone_deg))
    assert u[:, 2].min() >= cos_max - 1e-12
    assert _ks_uniform(u[:, 2], cos_max, 1.0) < 1.36 / math.sqrt(n)     # uniform in cos(theta): solid angle
    phi = np.arctan2(u[:, 1], u[:, 0])
    assert _ks_uniform(phi, -math.pi, math.pi) < 1.36 / math.sqrt(n)
    assert np.allclose(cone_direction(rng, 0.0), (0.0, 0.0, 1.0))


def test_beamline_particles_enter_the_upstream_face_in_the_spot():
    rng = np.random.default_rng(7)
    n = 2000
    starts = np.array([tuple(shoot(["mu-"], LARIAT, rng, direction="beamline", spot_sigma_cm=3.0,
                                   p_MeV=(300.0, 1400.0))[1].vertex_cm) for _ in range(n)])
    assert np.all(starts[:, 2] == LARIAT.active_min_cm[2])
    centre = [(a + b) / 2 for a, b in zip(LARIAT.active_min_cm[:2], LARIAT.active_max_cm[:2])]
    assert np.allclose(starts[:, :2].mean(axis=0), centre, atol=0.25)
    assert np.allclose(starts[:, :2].std(axis=0), 3.0, rtol=0.06)
    with pytest.raises(ConfigError, match="^generator.beam_spot_sigma_cm:"):
        beam_entry_cm(LARIAT, rng, -1.0)


def test_kaon_is_a_gun_particle_of_its_own_class():
    primaries, truth = shoot(["K+"], LARIAT, np.random.default_rng(8), direction="beamline", p_MeV=(500.0, 500.0))
    assert primaries["pdg"][0] == 321 and truth.class_name == "SINGLE_K"
    assert _momentum_MeV(primaries[0]) == pytest.approx(500.0)


def test_bad_beamline_settings_name_the_key():
    rng = np.random.default_rng(9)
    with pytest.raises(ConfigError, match="^generator.p_MeV_min/p_MeV_max:.*2000.0 > 100.0"):
        shoot(["p"], LARIAT, rng, p_MeV=(2000.0, 100.0))
    with pytest.raises(ConfigError, match="^generator.beam_cone_deg:"):
        shoot(["p"], LARIAT, rng, direction="beamline", cone_deg=120.0)
    for bad, key in ((dict(p_MeV_min=2000.0, p_MeV_max=100.0), "generator.p_MeV_min/p_MeV_max"),
                     (dict(p_MeV_min=100.0), "generator.p_MeV_min/p_MeV_max"),
                     (dict(ke_MeV_min=900.0, ke_MeV_max=100.0), "generator.ke_MeV_min/ke_MeV_max"),
                     (dict(particles=["mu-", "kaon"]), "generator.particles"),
                     (dict(direction="cone"), "generator.direction"),
                     (dict(beam_cone_deg=-1.0), "generator.beam_cone_deg")):
        with pytest.raises(ConfigError, match=f"^{key}:"):
            GunGenerator(**bad)
