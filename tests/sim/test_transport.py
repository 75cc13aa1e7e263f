"""Transport of charged particles against lartpc-physics.md §3 and the §9 validation checks."""

from __future__ import annotations

import numpy as np
import pytest
from particle_guns import BIG_BOX, gun, ke_for_momentum, mode, positions

from argonet.conf.sim import PhysicsConfig
from argonet.errors import ConfigError, DataError
from argonet.event import PARTICLE_DTYPE, ParticleKind, Semantic
from argonet.sim import physics
from argonet.sim.deposits import make_primaries
from argonet.sim.transport import transport
from argonet.sim.transport_layout import PROCESSES

#: No fluctuations, scattering, hadronic interactions or δ-rays: the CSDA limit.
CSDA = PhysicsConfig(fluctuations=False, multiple_scattering=False, hadronic=False, delta_rays=False)


def run(primaries, cfg=None, seed=0, box=BIG_BOX, **kwargs):
    """Transport with a fresh seeded generator."""
    return transport(primaries, cfg or PhysicsConfig(), np.random.default_rng(seed), *box, **kwargs)


def primary_rows(table):
    """The rows of the primaries."""
    return table[table["parent_id"] == 0]


def track_mask(deposits, track_ids):
    """Deposits made by the given tracks themselves."""
    return np.isin(deposits.track_id, track_ids)


# ---------------------------------------------------------------- §9 check 1: ranges

@pytest.mark.parametrize("pdg, table", [
    (13, {20: 2.38, 50: 10.82, 100: 30.44, 300: 123.6, 1000: 441.5}),
    (-211, {20: 1.94, 50: 9.15, 100: 26.9, 300: 117.5, 1000: 441.8}),
    (2212, {20: 0.451, 50: 2.29, 100: 7.79, 300: 51.0, 1000: 318.3})])
def test_transported_track_length_matches_csda_table(pdg, table):
    """§9 check 1: stopping μ, π, p without fluctuations travel the §3.3 CSDA range (≤ 2 %)."""
    ke = np.array(sorted(table), float)
    deposits, particles = run(gun(pdg, ke, len(ke)), CSDA)
    rows = primary_rows(particles)
    decayed = [np.any((particles["parent_id"] == t) & (particles["process"] == b"Decay")
                      & (particles["start_t_ns"] <= r["end_t_ns"])) for t, r in zip(rows["track_id"], rows)]
    for row, energy, flew_apart in zip(rows, ke, decayed):
        if not flew_apart:
            assert row["distance_cm"] == pytest.approx(table[int(energy)], rel=0.02)
            own = deposits.track_id == row["track_id"]
            assert deposits.dx_cm[own].sum() == pytest.approx(row["distance_cm"], rel=1e-4)


def test_last_centimetre_is_stepped_finely():
    """Steps are ≤ 0.1 cm within the last cm of a stopping track."""
    deposits, particles = run(gun(2212, 100.0), CSDA)
    own = deposits.track_id == particles["track_id"][0]
    path = np.cumsum(deposits.dx_cm[own])
    residual = particles["distance_cm"][0] - (path - deposits.dx_cm[own])
    assert deposits.dx_cm[own][residual <= 1.0].max() <= 0.1 + 1e-6
    assert deposits.dx_cm[own].max() == pytest.approx(PhysicsConfig().step_cm, rel=1e-5)


# ---------------------------------------------------------------- §9 check 2: straggling

@pytest.mark.parametrize("pdg, low, high", [(2212, 0.008, 0.018), (13, 0.015, 0.06)])
def test_range_straggling(pdg, low, high):
    """§9 check 2: σ_R/R ≈ 1-1.5 % for protons, a few % for muons (qualitative band), 200 MeV."""
    cfg = PhysicsConfig(hadronic=False, multiple_scattering=False)
    _, particles = run(gun(pdg, 200.0, 300), cfg, seed=1)
    length = primary_rows(particles)["distance_cm"]
    assert length.mean() == pytest.approx(physics.csda_range_cm(pdg, 200.0), rel=0.01)
    assert low <= length.std() / length.mean() <= high


# ---------------------------------------------------------------- §9 checks 3 and 4: dE/dx

def test_mean_dedx_of_1_GeV_muon_over_a_long_track():
    """§9 check 3: 1 GeV muons over 1 m of argon lose 2.1-2.2 MeV/cm on average (≤ 3 %).

    Counted calorimetrically: every deposit in a 1 m long box (δ-rays included) per cm of muon path.
    """
    box = ((-500.0, -500.0, 0.0), (500.0, 500.0, 100.0))
    deposits, particles = run(gun(13, 1000.0, 40), box=box, seed=2)
    dedx = deposits.dE_MeV.sum() / primary_rows(particles)["distance_cm"].sum()
    assert 2.1 * 0.97 <= dedx <= 2.2 * 1.03


def test_mpv_of_dedx_in_3_mm_segments():
    """§9 check 4: MPV of dE/dx in 0.3 cm segments of p_μ = 1 GeV/c muons is 1.61 MeV/cm (≤ 5 %)."""
    box = ((-500.0, -500.0, 0.0), (500.0, 500.0, 30.0))
    deposits, particles = run(gun(13, ke_for_momentum(13, 1000.0), 200), box=box, seed=3)
    own = track_mask(deposits, primary_rows(particles)["track_id"]) & np.isclose(deposits.dx_cm, 0.3)
    assert own.sum() > 15000
    assert mode(deposits.dE_MeV[own] / deposits.dx_cm[own], 0.02) == pytest.approx(1.61, rel=0.05)


def test_proton_bragg_peak():
    """§9 check 6: stopping protons lose 17.7 and 8.8 MeV/cm at residual range 1 and 5 cm (≤ 5 %)."""
    deposits, particles = run(gun(2212, 150.0, 100), PhysicsConfig(hadronic=False), seed=4)
    at_1, at_5 = [], []
    for row in primary_rows(particles):
        own = deposits.track_id == row["track_id"]
        dx = deposits.dx_cm[own].astype(float)
        residual = row["distance_cm"] - (np.cumsum(dx) - dx / 2)
        dedx = deposits.dE_MeV[own] / dx
        at_1.append(dedx[np.abs(residual - 1.0) <= 0.1].mean())
        at_5.append(dedx[np.abs(residual - 5.0) <= 0.3].mean())
    assert np.mean(at_1) == pytest.approx(17.7, rel=0.05)
    assert np.mean(at_5) == pytest.approx(8.8, rel=0.05)


def test_delta_ray_rate():
    """§3.6: ≈ 0.10 knock-on electrons per cm above 1 MeV on a MIP track (≤ 10 %), labelled DELTA."""
    box = ((-500.0, -500.0, 0.0), (500.0, 500.0, 100.0))
    _, particles = run(gun(13, 1000.0, 40), box=box, seed=5)
    deltas = particles[particles["process"] == b"muIoni"]
    rate = len(deltas) / primary_rows(particles)["distance_cm"].sum()
    assert rate == pytest.approx(0.0966, rel=0.1)
    assert (deltas["kind"] == ParticleKind.DELTA).all()
    assert (deltas["energy_init_MeV"] - physics.ELECTRON_MASS_MeV > 1.0).all()


# ---------------------------------------------------------------- §9 check 20: scattering

@pytest.mark.parametrize("p_MeV, theta_mrad", [(500.0, 28.0), (1000.0, 14.0), (2000.0, 6.8)])
def test_mcs_over_14_cm_follows_highland(p_MeV, theta_mrad):
    """§9 check 20: RMS projected angle after 14 cm vs the §3.7 Highland values (≤ 10 %).

    Directions are read from the deposits: chords between consecutive step mid-points.
    """
    box = ((-500.0, -500.0, -1.0), (500.0, 500.0, 16.0))
    deposits, particles = run(gun(13, ke_for_momentum(13, p_MeV), 500), PhysicsConfig(delta_rays=False),
                              seed=6, box=box)
    angles = []
    for track in primary_rows(particles)["track_id"]:
        own = deposits.track_id == track
        xyz = positions(deposits, own)
        k = np.searchsorted(np.cumsum(deposits.dx_cm[own]) - deposits.dx_cm[own] / 2, 14.0)
        before, after = xyz[1] - xyz[0], xyz[k + 1] - xyz[k]
        for axis in (0, 1):
            angles.append(np.arctan2(after[axis], after[2]) - np.arctan2(before[axis], before[2]))
    assert np.sqrt(np.mean(np.square(angles))) * 1e3 == pytest.approx(theta_mrad, rel=0.1)


# ---------------------------------------------------------------- decays and captures

def test_michel_spectrum_from_mu_plus_at_rest():
    """§9 check 18: Michel e⁺ of μ⁺ decays at rest: mean 37 MeV, endpoint 52.8 MeV (≤ 2 %)."""
    _, particles = run(gun(-13, 0.0, 4000), seed=7)
    michel = particles[particles["kind"] == ParticleKind.MICHEL]
    assert len(michel) == 4000 and (michel["pdg"] == -11).all() and (michel["process"] == b"Decay").all()
    energy = michel["energy_init_MeV"]
    assert energy.mean() == pytest.approx(37.0, rel=0.02)
    assert energy.max() == pytest.approx(52.8, rel=0.02) and energy.max() <= 52.83 + 1e-9
    lifetime = michel["start_t_ns"].mean()
    assert lifetime == pytest.approx(2197.0, rel=0.05)        # §3.9 τ = 2.197 µs


def test_fraction_of_stopping_mu_minus_with_michel():
    """§9 check 19: ≈ 25 % of stopping μ⁻ give a Michel (≤ 3 % abs); captures give LOW_ENERGY blips."""
    _, particles = run(gun(13, 0.0, 3000), seed=8)
    michel = particles[particles["kind"] == ParticleKind.MICHEL]
    assert len(michel) / 3000 == pytest.approx(0.25, abs=0.03)
    assert (michel["pdg"] == 11).all()
    capture = particles[particles["process"] == b"muMinusCaptureAtRest"]
    assert len(capture) > 0 and (capture["kind"] == ParticleKind.LOW_ENERGY).all()


def test_pi_plus_decays_at_rest_into_a_4_MeV_muon_and_a_michel():
    """§3.9: a stopped π⁺ yields a 4.12 MeV μ⁺ (1.5 mm) and then a Michel e⁺."""
    _, particles = run(gun(211, 50.0, 50), PhysicsConfig(hadronic=False), seed=9)
    muons = particles[(particles["pdg"] == -13) & (particles["process"] == b"Decay")]
    stopped = muons[np.isclose(muons["energy_init_MeV"] - physics.HEAVY_MASSES_MeV[13], 4.12, atol=0.01)]
    assert len(stopped) >= 45
    assert np.median(stopped["distance_cm"]) == pytest.approx(0.15, rel=0.15)
    michel = particles[particles["kind"] == ParticleKind.MICHEL]
    assert set(michel["parent_id"]) <= set(muons["track_id"]) and len(michel) == len(muons)


def test_pi_minus_is_absorbed_into_a_star():
    """§3.9: a stopped π⁻ does not decay: 0-3 short protons and a few MeV photons (a star)."""
    n = 100
    _, particles = run(gun(-211, 30.0, n), PhysicsConfig(hadronic=False), seed=10)
    children = particles[particles["parent_id"] <= n]
    star = children[children["process"] == b"hBertiniCaptureAtRest"]
    in_flight = np.unique(children["parent_id"][children["process"] == b"Decay"])
    assert len(in_flight) <= 3                       # decays in flight only: cτ = 7.8 m vs 3.9 cm range
    assert set(np.unique(star["parent_id"])) | set(in_flight) == set(range(1, n + 1))
    protons = np.bincount(star["parent_id"][star["pdg"] == 2212], minlength=n + 1)[1:]
    stopped = ~np.isin(np.arange(1, n + 1), in_flight)
    assert protons.max() <= 3 and protons[stopped].min() == 0
    assert protons[stopped].mean() == pytest.approx(1.5, abs=0.4)


def test_pi0_invariant_mass_from_truth_photons():
    """§9 check 14: m_γγ of the two truth photons is 135.0 MeV (≤ 0.5 %)."""
    primaries = gun(111, np.linspace(0.0, 800.0, 200), 200, direction=(0.3, -0.2, 1.0))
    _, particles = run(primaries, seed=11)
    masses = []
    for track in particles["track_id"][particles["pdg"] == 111]:
        photons = particles[(particles["parent_id"] == track) & (particles["pdg"] == 22)]
        if len(photons) == 2:
            energy = photons["energy_init_MeV"].sum()
            p = np.array([photons[c].sum() for c in ("px_MeV", "py_MeV", "pz_MeV")])
            masses.append(np.sqrt(energy**2 - p @ p))
    assert len(masses) >= 190                   # 98.8 % γγ, the rest Dalitz-like γ e⁺e⁻
    assert np.allclose(masses, 135.0, rtol=0.005)


# ---------------------------------------------------------------- hadronic interactions

def test_proton_interaction_probability():
    """§3.10: P(interact before stopping) = 1 - exp(-∫dx/λ) above 20 MeV, λ_p = 95 cm (≤ 4 % abs)."""
    n = 1000
    _, particles = run(gun(2212, 200.0, n), PhysicsConfig(delta_rays=False), seed=12)
    path_cm = physics.csda_range_cm(2212, 200.0) - physics.csda_range_cm(2212, 20.0)
    interacted = np.unique(particles["parent_id"][particles["process"] == b"protonInelastic"])
    assert np.isin(interacted, np.arange(1, n + 1)).sum() / n == pytest.approx(1 - np.exp(-path_cm / 95.0), abs=0.04)


def test_pion_interaction_channels():
    """§3.10 toy split of π⁺-Ar interactions: 40 % absorption, 40 % quasi-elastic, 10 % charge exchange
    (the other 10 % elastic: no products), so 4/9, 4/9, 1/9 of the visible ones (≤ 4 % abs)."""
    n = 1000
    _, particles = run(gun(211, 300.0, n), PhysicsConfig(delta_rays=False), seed=12)
    products = particles[(particles["process"] == b"pi+Inelastic") & (particles["parent_id"] <= n)]
    parents = np.unique(products["parent_id"])
    quasi_elastic = np.isin(parents, products["parent_id"][products["pdg"] == 211])
    exchange = np.isin(parents, products["parent_id"][products["pdg"] == 111])
    absorbed = ~quasi_elastic & ~exchange
    assert len(parents) > 600
    for channel, share in ((absorbed, 4 / 9), (quasi_elastic, 4 / 9), (exchange, 1 / 9)):
        assert channel.mean() == pytest.approx(share, abs=0.04)


def test_hadronic_off_stopping_proton_deposits_its_kinetic_energy():
    """Energy conservation: a contained stopping proton deposits exactly its KE; with hadronic
    interactions on, never more."""
    deposits, particles = run(gun(2212, 300.0, 20), PhysicsConfig(hadronic=False), seed=13)
    assert deposits.dE_MeV.astype(float).sum() == pytest.approx(20 * 300.0, rel=1e-5)
    deposits, particles = run(gun(2212, 300.0, 20), seed=13)
    per_event = deposits.dE_MeV.astype(float).sum() / 20
    assert per_event <= 300.0 * (1 + 1e-6)
    assert particles["energy_deposit_MeV"].sum() == pytest.approx(deposits.dE_MeV.astype(float).sum(), rel=1e-5)


# ---------------------------------------------------------------- box, bookkeeping, reproducibility

def test_deposits_stay_inside_the_box_and_entering_primaries_are_moved_in():
    """Deposits only inside the box; a muon starting 100 cm above it starts depositing at its face."""
    box = ((-50.0, -50.0, -50.0), (50.0, 50.0, 50.0))
    primaries = gun(13, 2000.0, 30, direction=(0.2, -1.0, 0.1), position_cm=(0.0, 150.0, 0.0))
    deposits, particles = run(primaries, box=box, seed=14)
    xyz = positions(deposits)
    assert len(xyz) > 0
    assert (xyz >= np.array(box[0]) - 1e-9).all() and (xyz <= np.array(box[1]) + 1e-9).all()
    first = deposits.track_id == particles["track_id"][0]
    assert xyz[first][:, 1].max() == pytest.approx(50.0, abs=0.3)
    beta = np.sqrt(1 - (physics.HEAVY_MASSES_MeV[13] / particles["energy_init_MeV"][0]) ** 2)
    assert deposits.t_ns[first].min() == pytest.approx(100.0 * np.sqrt(1.05) / (beta * 29.9792458), rel=0.01)
    missing = gun(13, 500.0, 1, direction=(0.0, 1.0, 0.0), position_cm=(0.0, 150.0, 0.0))
    deposits, particles = run(missing, box=box)
    assert len(deposits) == 0 and len(particles) == 1


def test_particle_table_bookkeeping():
    """Ids consecutive from first_track_id, primaries first; parents exist; semantic from the primary."""
    primaries = make_primaries(4)
    primaries["pdg"] = [13, 2212, 111, 2112]
    primaries["pz_MeV"] = [600.0, 500.0, 300.0, 200.0]
    primaries["semantic"] = [Semantic.NEUTRINO, Semantic.NEUTRINO, Semantic.NEUTRINO, Semantic.COSMIC]
    deposits, particles = run(primaries, seed=15, first_track_id=101)
    assert particles.dtype == PARTICLE_DTYPE
    ids = particles["track_id"]
    assert np.array_equal(ids, np.arange(101, 101 + len(ids)))
    assert np.array_equal(particles["pdg"][:4], primaries["pdg"]) and (particles["parent_id"][:4] == 0).all()
    assert np.array_equal(particles["ancestor_id"][:4], ids[:4])
    assert set(particles["parent_id"][4:]) <= set(ids)
    assert set(particles["ancestor_id"]) <= set(ids[:4])
    assert set(particles["process"]) <= {p.encode() for p in PROCESSES}
    by_id = dict(zip(ids, particles["semantic"]))
    assert (deposits.semantic == [by_id[t] for t in deposits.track_id]).all()
    assert (particles["semantic"] == Semantic.NEUTRINO).sum() == len(particles) - 1     # the neutron
    assert particles["distance_cm"][3] == 0.0 and particles["energy_deposit_MeV"][3] == 0.0
    assert particles["energy_init_MeV"][0] == pytest.approx(np.hypot(600.0, physics.HEAVY_MASSES_MeV[13]))


def test_same_seed_same_output_and_different_seed_different_output():
    """Reproducible: identical deposits and tables from the same generator state."""
    primaries = gun(211, 400.0, 5, direction=(1.0, 0.5, 0.2))
    a, pa = run(primaries, seed=21)
    b, pb = run(primaries, seed=21)
    c, _ = run(primaries, seed=22)
    assert np.array_equal(a.dE_MeV, b.dE_MeV) and np.array_equal(a.x_cm, b.x_cm) and np.array_equal(pa, pb)
    assert len(a) != len(c) or not np.array_equal(a.dE_MeV, c.dE_MeV)


def test_bad_input_raises_one_line_errors():
    """Wrong dtype, inverted box or bad first id raise argonet errors naming the field."""
    with pytest.raises(DataError, match="primaries"):
        transport(np.zeros(2), PhysicsConfig(), np.random.default_rng(0), *BIG_BOX)
    with pytest.raises(ConfigError, match="box"):
        transport(gun(13, 100.0), PhysicsConfig(), np.random.default_rng(0), (0, 0, 0), (1, -1, 1))
    with pytest.raises(ConfigError, match="first_track_id"):
        transport(gun(13, 100.0), PhysicsConfig(), np.random.default_rng(0), *BIG_BOX, first_track_id=0)
    unknown = gun(13, 100.0)
    unknown["pdg"] = 999999999
    with pytest.raises(DataError, match="pdg"):
        transport(unknown, PhysicsConfig(), np.random.default_rng(0), *BIG_BOX)
