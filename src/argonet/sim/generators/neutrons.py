"""Neutrons from the neutrino interaction, followed by a toy: the MeV photons and protons they leave.

Transport does not track neutrons, yet in argon they are what scatters small charge "blips"
far (tens of cm to metres) and late (up to ~ms) around a neutrino event: photons from
inelastic scattering 40Ar(n,n'γ) (the 1.461 MeV line of the first excited state) and from
thermal capture 40Ar(n,γ)41Ar (Q = 6.099 MeV, a cascade of a few photons), and, for fast
neutrons, protons knocked out of argon nuclei. Real DUNE FD simulation (Geant4) images show
these blips around every event; this module turns each neutron into them:

1. fast phase, while T > 1.5 MeV: free paths ~ Exp(λ = 40 cm) (σ_tot(n-Ar) ≈ 1.2 b over
   1-100 MeV, n_Ar = 2.1e22 cm^-3, approximate); at each collision, above 50 MeV a proton is
   knocked out with 20-60 % of T (the neutron loses that plus 8 MeV binding), else with
   probability 0.4 above 1.5 MeV an inelastic scatter emits the 1.461 MeV photon (the neutron
   loses it plus up to half of the rest), else elastic: T falls by up to 4A/(A+1)^2 = 9.5 %
   and the direction is redrawn isotropically (a heavy nucleus);
2. moderation and capture: the capture point lies a 3-D Gaussian displacement of RMS
   CAPTURE_SPREAD_CM per axis from the last fast collision (slow neutrons random-walk over
   metres in argon), after a delay ~ Exp(CAPTURE_TIME_US = 330 µs = 1/(n σ_th v_th) with
   σ_th = 0.66 b, v_th = 2200 m/s); the 6.099 MeV cascade is 4.745 + 1.187 + 0.167 MeV half
   of the time (the strongest lines), otherwise a random split into 2-4 photons;
3. a neutron leaving the active volume is lost with whatever it has not yet emitted.

Besides the neutrons of the interaction itself, every nucleus that transport's hadronic physics
hits (pi/K/p inelastic interactions, pi- absorption stars, mu- capture) boils off neutrons:
Poisson-many (EVAPORATION_NEUTRONS per process: ≈ 3 after a hadron-argon inelastic
interaction, 2 after a pi- absorption star, 1 after mu- capture; typical Geant4/Bertini-cascade
multiplicities for argon, approximate), with evaporation energies T·exp(-T/θ), θ = 1.5 MeV
(mean 3 MeV), followed by the same toy (``secondary_neutron_primaries``).

Numbers are approximate (nuclear data quoted from memory, ±30 %); CAPTURE_SPREAD_CM sets how
far the capture blips spread and is chosen so that simulated DUNE CVN maps have the event
extents of the real ones. Energies MeV, lengths cm, times ns.
"""

from __future__ import annotations

import math

import numpy as np

from argonet import units
from argonet.sim.deposits import PRIMARY_DTYPE
from argonet.sim.generators.kinematics import isotropic_direction

NEUTRON_MEAN_FREE_PATH_CM = 40.0
FAST_NEUTRON_MIN_MeV = 1.5
KNOCKOUT_MIN_MeV = 50.0
KNOCKOUT_SHARE = (0.2, 0.6)
KNOCKOUT_BINDING_MeV = 8.0
INELASTIC_PROBABILITY = 0.4
AR40_FIRST_EXCITED_MeV = 1.4608
ELASTIC_MAX_LOSS = 4.0 * 40.0 / 41.0 ** 2
CAPTURE_Q_MeV = 6.0989
CAPTURE_LINES_MeV = (4.745, 1.187, 0.167)
CAPTURE_SPREAD_CM = 60.0
CAPTURE_TIME_US = 330.0
MAX_COLLISIONS = 200
EVAPORATION_TEMPERATURE_MeV = 1.5
#: mean number of neutrons boiled off after each transport process that breaks up a nucleus
EVAPORATION_NEUTRONS = {b"pi+Inelastic": 3.0, b"pi-Inelastic": 3.0, b"protonInelastic": 3.0,
                        b"kaon+Inelastic": 3.0, b"kaon-Inelastic": 3.0, b"hBertiniCaptureAtRest": 2.0,
                        b"muMinusCaptureAtRest": 1.0}
_PROTON_MeV = units.proton_mass_MeV
_NEUTRON_MeV = units.neutron_mass_MeV


def _inside(point: np.ndarray, lo, hi) -> bool:
    """Whether a point lies in the box [lo, hi]."""
    return bool(np.all(point >= lo) and np.all(point <= hi))


def _capture_photons(rng: np.random.Generator) -> list[float]:
    """Photon energies (MeV) of one 40Ar(n,γ) cascade."""
    if rng.random() < 0.5:
        return list(CAPTURE_LINES_MeV)
    shares = rng.dirichlet(np.ones(int(rng.integers(2, 5))))
    return list(CAPTURE_Q_MeV * shares)


def neutron_products(ke_MeV: float, direction, start_cm, t_ns: float, box: tuple, rng: np.random.Generator,
                     semantic: int) -> np.ndarray:
    """PRIMARY_DTYPE rows (photons, protons) that one neutron of kinetic energy ke_MeV leaves in the box."""
    lo, hi = (np.asarray(b, dtype=float) for b in box)
    pos = np.asarray(start_cm, dtype=float).copy()
    u = np.asarray(direction, dtype=float)
    ke, t = float(ke_MeV), float(t_ns)
    rows: list[tuple] = []

    def emit(pdg: int, energy: float, where: np.ndarray, when: float, along=None) -> None:
        mass = _PROTON_MeV if pdg == 2212 else 0.0
        p = math.sqrt(max(energy * (energy + 2.0 * mass), 0.0))
        d = isotropic_direction(rng) if along is None else along
        rows.append((pdg, p * d[0], p * d[1], p * d[2], where[0], where[1], where[2], when, semantic))

    for _ in range(MAX_COLLISIONS):
        if ke < FAST_NEUTRON_MIN_MeV:
            break
        path = rng.exponential(NEUTRON_MEAN_FREE_PATH_CM)
        beta = math.sqrt(ke * (ke + 2.0 * _NEUTRON_MeV)) / (ke + _NEUTRON_MeV)
        pos = pos + path * u
        t += path / (beta * units.speed_of_light_cm_per_ns)
        if not _inside(pos, lo, hi):
            return np.array(rows, dtype=PRIMARY_DTYPE)
        if ke > KNOCKOUT_MIN_MeV:
            share = ke * rng.uniform(*KNOCKOUT_SHARE)
            emit(2212, share, pos, t, isotropic_direction(rng) if rng.random() < 0.3 else tuple(u))
            ke -= share + KNOCKOUT_BINDING_MeV
        elif ke > AR40_FIRST_EXCITED_MeV and rng.random() < INELASTIC_PROBABILITY:
            emit(22, AR40_FIRST_EXCITED_MeV, pos, t)
            ke = (ke - AR40_FIRST_EXCITED_MeV) * (1.0 - 0.5 * rng.random())
        else:
            ke *= 1.0 - ELASTIC_MAX_LOSS * rng.random()
        u = np.asarray(isotropic_direction(rng))
    capture = pos + rng.normal(0.0, CAPTURE_SPREAD_CM, 3)
    if _inside(capture, lo, hi):
        when = t + rng.exponential(CAPTURE_TIME_US) * 1000.0
        for energy in _capture_photons(rng):
            emit(22, energy, capture, when)
    return np.array(rows, dtype=PRIMARY_DTYPE)


def secondary_neutron_primaries(particles: np.ndarray, box: tuple, rng: np.random.Generator) -> np.ndarray:
    """PRIMARY_DTYPE rows of what the evaporation neutrons of every nuclear break-up in a transport
    particle table (PARTICLE_DTYPE) leave: one break-up per (parent, process) of the products."""
    process = particles["process"]
    rows = []
    hit = np.flatnonzero(np.isin(process, list(EVAPORATION_NEUTRONS)))
    if len(hit) == 0:
        return np.zeros(0, PRIMARY_DTYPE)
    _, first = np.unique(np.stack([particles["parent_id"][hit], np.unique(process[hit], return_inverse=True)[1]]),
                         axis=1, return_index=True)
    for i in hit[np.sort(first)]:
        row = particles[i]
        for _ in range(int(rng.poisson(EVAPORATION_NEUTRONS[bytes(row["process"])]))):
            ke = rng.gamma(2.0, EVAPORATION_TEMPERATURE_MeV)
            rows.append(neutron_products(ke, isotropic_direction(rng), row["start_cm"], float(row["start_t_ns"]),
                                         box, rng, int(row["semantic"])))
    return np.concatenate(rows) if rows else np.zeros(0, PRIMARY_DTYPE)
