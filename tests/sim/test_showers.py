"""Electromagnetic cascades against lartpc-physics.md §3.8, §4 and the §9 validation checks."""

from __future__ import annotations

import numpy as np
import pytest
from particle_guns import BIG_BOX, gun, mode, positions

from argonet.conf.sim import PhysicsConfig
from argonet.event import ParticleKind
from argonet.sim import physics
from argonet.sim.draws import stream_from
from argonet.sim.showers import sample_compton
from argonet.sim.transport import transport

ELECTRON_MASS = physics.ELECTRON_MASS_MeV


def run(primaries, cfg=None, seed=0, box=BIG_BOX):
    """Transport with a fresh seeded generator."""
    return transport(primaries, cfg or PhysicsConfig(), np.random.default_rng(seed), *box)


def test_photon_conversion_distance():
    """§9 check 15: photons above 200 MeV first interact after an exponential distance, mean 18 cm (≤ 10 %)."""
    rng = np.random.default_rng(1)
    energy = np.exp(rng.uniform(np.log(200.0), np.log(2000.0), 1500))
    _, particles = run(gun(22, energy, len(energy)), PhysicsConfig(shower_cut_MeV=20.0), seed=1)
    distance = particles["distance_cm"][particles["parent_id"] == 0]
    assert distance.mean() == pytest.approx(18.0, rel=0.1)
    # exponential: the standard deviation equals the mean and the median is ln 2 of it
    assert distance.std() == pytest.approx(distance.mean(), rel=0.1)
    assert np.median(distance) == pytest.approx(np.log(2) * distance.mean(), rel=0.1)


def test_low_energy_photons_travel_the_compton_length():
    """§4: the attenuation length is ≈ 12 cm at 1 MeV (≤ 10 %); such photons only Compton-scatter."""
    deposits, particles = run(gun(22, 1.0, 1500), PhysicsConfig(shower_cut_MeV=0.05), seed=2)
    assert particles["distance_cm"][particles["parent_id"] == 0].mean() == pytest.approx(12.0, rel=0.1)
    assert deposits.dE_MeV.astype(float).sum() == pytest.approx(1500 * 1.0, rel=1e-5)


def test_one_GeV_electron_shower_containment():
    """§9 check 16: 1 GeV e⁻: ≈ 95 % of the energy within 2 m along the axis, ≈ 90 % within 9 cm of it
    (parametrised-shower numbers, ≤ 5 % absolute)."""
    deposits, particles = run(gun(11, 1000.0, 60), seed=3)
    energy = deposits.dE_MeV.astype(float)
    assert energy.sum() == pytest.approx(60 * 1000.0, rel=1e-5)          # contained: all of it
    radius = np.hypot(deposits.x_cm, deposits.y_cm)
    assert energy[deposits.z_cm < 200.0].sum() / energy.sum() == pytest.approx(0.95, abs=0.05)
    assert energy[radius < 9.0].sum() / energy.sum() == pytest.approx(0.90, abs=0.05)


def test_one_GeV_electron_shower_maximum():
    """§4: a 1 GeV e⁻ shower deposits most per cm at t_max = 2.9 X0 = 41 cm (≤ 15 %)."""
    deposits, _ = run(gun(11, 1000.0, 200), seed=9)
    width_cm = 6.0
    counts, edges = np.histogram(deposits.z_cm, bins=np.arange(0.0, 150.0, width_cm),
                                 weights=deposits.dE_MeV.astype(float))
    i = int(np.argmax(counts))
    left, mid, right = counts[i - 1:i + 2]
    peak = edges[i] + (0.5 + 0.5 * (left - right) / (left - 2 * mid + right)) * width_cm
    assert peak == pytest.approx(41.0, rel=0.15)


def _trunk_dedx(pdg, energy_MeV, seed):
    """Energy deposited within 3 cm of the shower start (1 cm around the axis), per cm."""
    deposits, particles = run(gun(pdg, energy_MeV), seed=seed)
    start = particles["end_cm"][0] if pdg == 22 else particles["start_cm"][0]   # γ: the conversion point
    offset = positions(deposits) - start
    trunk = (offset[:, 2] >= 0.0) & (offset[:, 2] < 3.0) & (np.hypot(offset[:, 0], offset[:, 1]) < 1.0)
    return deposits.dE_MeV[trunk].sum() / 3.0


def test_electron_and_photon_trunk_dedx():
    """§9 check 17: the first 3 cm of the trunk peaks at ≈ 2.1 MeV/cm (e) and ≈ 4.2 MeV/cm (γ), ≤ 10 %."""
    energies = np.random.default_rng(4).uniform(100.0, 500.0, 250)
    electron = [_trunk_dedx(11, e, seed) for seed, e in enumerate(energies)]
    photon = [_trunk_dedx(22, e, seed) for seed, e in enumerate(energies)]
    assert mode(np.array(electron), 0.1) == pytest.approx(2.1, rel=0.1)
    assert mode(np.array(photon), 0.2) == pytest.approx(4.2, rel=0.1)


def test_showers_are_stochastic_and_labelled():
    """No two showers alike; deposits SHOWER with isolated Compton blips LOW_ENERGY."""
    primaries = gun(22, 300.0, 2)
    deposits, particles = run(primaries, seed=5)
    first, second = (deposits.track_id == t for t in particles["track_id"][:2])
    assert first.sum() != second.sum() or not np.allclose(deposits.dE_MeV[first], deposits.dE_MeV[second])
    kinds = set(np.unique(deposits.kind))
    assert kinds <= {ParticleKind.SHOWER, ParticleKind.LOW_ENERGY} and ParticleKind.SHOWER in kinds
    blips = deposits.kind == ParticleKind.LOW_ENERGY
    assert (deposits.dE_MeV[blips] < 1.0).all()
    assert (particles["kind"][:2] == ParticleKind.SHOWER).all() and len(particles) == 2   # folded rows


def test_michel_electron_keeps_its_label():
    """A Michel electron's own steps are MICHEL; its bremsstrahlung products LOW_ENERGY (§3.8)."""
    deposits, particles = run(gun(-13, 0.0, 200), seed=6)
    michel_ids = particles["track_id"][particles["kind"] == ParticleKind.MICHEL]
    own = np.isin(deposits.track_id, michel_ids)
    assert set(np.unique(deposits.kind[own])) == {ParticleKind.MICHEL, ParticleKind.LOW_ENERGY}
    michel_energy = deposits.dE_MeV[own & (deposits.kind == ParticleKind.MICHEL)].astype(float).sum()
    total = deposits.dE_MeV[own].astype(float).sum()
    assert 0.5 < michel_energy / total < 1.0      # above ~30 MeV brems carries a good part (§3.8)


def test_electron_range_of_section_3_8():
    """§3.8: a 10 MeV electron stops after ≈ 4.1 cm of path (CSDA with radiative loss, ≤ 10 %)."""
    cfg = PhysicsConfig(fluctuations=False, multiple_scattering=False, shower_cut_MeV=0.05)
    _, particles = run(gun(11, 10.0, 200), cfg, seed=7)
    assert particles["distance_cm"].mean() == pytest.approx(4.1, rel=0.1)


def test_compton_sampling_follows_klein_nishina():
    """Sampled k'/k of 2 MeV photons follows the Klein-Nishina dσ/dε (mean within 1 %)."""
    state = stream_from(np.random.default_rng(8))
    k = 2.0
    eps = np.array([sample_compton(state, k, ELECTRON_MASS)[0] for _ in range(40000)])
    kappa = k / ELECTRON_MASS
    grid = np.linspace(1.0 / (1.0 + 2.0 * kappa), 1.0, 20001)
    cos_theta = 1.0 - (1.0 / grid - 1.0) / kappa
    density = (1.0 / grid + grid) * (1.0 - grid * (1.0 - cos_theta**2) / (1.0 + grid**2))
    assert eps.mean() == pytest.approx(np.sum(grid * density) / np.sum(density), rel=0.01)
