"""Single-particle gun: one particle per event at a random vertex of the fiducial volume (§8.1).

Kinetic energy is uniform in [ke_MeV_min, ke_MeV_max] (``ke_spectrum="uniform"``) or uniform
in log(KE) (``"log"``, which gives low energies the same weight per decade); the direction is
isotropic or the beam axis (+z); the time is the trigger (t = 0).
"""

from __future__ import annotations

import math

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.event import Semantic, Truth
from argonet.sim.detector import Detector
from argonet.sim.generators.kinematics import isotropic_direction
from argonet.sim.generators.placement import fiducial_bounds, primaries_at, uniform_point

#: name → (pdg, mass MeV, event class)
GUN_PARTICLES: dict[str, tuple[int, float, str]] = {
    "e-": (11, units.electron_mass_MeV, "SINGLE_E"),
    "e+": (-11, units.electron_mass_MeV, "SINGLE_E"),
    "gamma": (22, 0.0, "SINGLE_GAMMA"),
    "pi0": (111, units.pion_neutral_mass_MeV, "SINGLE_GAMMA"),
    "mu-": (13, units.muon_mass_MeV, "SINGLE_MU"),
    "mu+": (-13, units.muon_mass_MeV, "SINGLE_MU"),
    "pi-": (-211, units.pion_charged_mass_MeV, "SINGLE_PI"),
    "pi+": (211, units.pion_charged_mass_MeV, "SINGLE_PI"),
    "p": (2212, units.proton_mass_MeV, "SINGLE_P"),
}
KE_SPECTRA = ("uniform", "log")
DIRECTIONS = ("isotropic", "beam")


def sample_kinetic_MeV(rng: np.random.Generator, ke_MeV_min: float, ke_MeV_max: float,
                       spectrum: str = "uniform") -> float:
    """Kinetic energy (MeV), uniform or log-uniform between the bounds."""
    if not 0.0 < ke_MeV_min <= ke_MeV_max:
        raise ConfigError("generator.ke_MeV_min/ke_MeV_max", "need 0 < ke_MeV_min <= ke_MeV_max")
    u = rng.random()
    if spectrum == "uniform":
        return ke_MeV_min + (ke_MeV_max - ke_MeV_min) * u
    if spectrum == "log":
        return ke_MeV_min * (ke_MeV_max / ke_MeV_min) ** u
    raise ConfigError("generator.ke_spectrum", f"unknown spectrum {spectrum!r}", KE_SPECTRA)


def shoot(particles: list[str], detector: Detector, rng: np.random.Generator, *, ke_MeV_min: float = 50.0,
          ke_MeV_max: float = 1000.0, direction: str = "isotropic", ke_spectrum: str = "uniform",
          margin_cm: float = 10.0) -> tuple[np.ndarray, Truth]:
    """One event with one particle drawn uniformly from ``particles`` (semantic NEUTRINO)."""
    if not particles:
        raise ConfigError("generator.particles", "must name at least one particle", GUN_PARTICLES)
    name = particles[int(rng.integers(len(particles)))]
    if name not in GUN_PARTICLES:
        raise ConfigError("generator.particles", f"unknown particle {name!r}", GUN_PARTICLES)
    if direction not in DIRECTIONS:
        raise ConfigError("generator.direction", f"unknown direction {direction!r}", DIRECTIONS)
    pdg, mass_MeV, class_name = GUN_PARTICLES[name]
    ke = sample_kinetic_MeV(rng, ke_MeV_min, ke_MeV_max, ke_spectrum)
    p_MeV = math.sqrt(ke * (ke + 2.0 * mass_MeV))
    ux, uy, uz = isotropic_direction(rng) if direction == "isotropic" else (0.0, 0.0, 1.0)
    vertex_cm = uniform_point(rng, *fiducial_bounds(detector, margin_cm))
    primaries = primaries_at([(pdg, p_MeV * ux, p_MeV * uy, p_MeV * uz)], vertex_cm, 0.0, Semantic.NEUTRINO)
    return primaries, Truth(class_name=class_name, vertex_cm=vertex_cm, vertex_t_ns=0.0)
