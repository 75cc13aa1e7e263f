"""Single-particle gun: one particle per event, at a random vertex of the fiducial volume (§8.1)
or entering the upstream face as a test-beam particle (``direction="beamline"``).

Kinetic energy is uniform in [ke_MeV_min, ke_MeV_max] (``ke_spectrum="uniform"``) or uniform
in log(KE) (``"log"``, which gives low energies the same weight per decade); with a momentum
range (``p_MeV``) the momentum is drawn that way instead (a test beam selects momentum). The
direction is isotropic, the beam axis (+z), or for ``beamline`` uniform in solid angle within a
cone of half-angle ``cone_deg`` around +z, starting on the upstream face (z = active minimum) at
a Gaussian beam spot (σ ``spot_sigma_cm``) around the face centre, redrawn until it lies at least
``FACE_EDGE_cm`` inside the face (docs/lartpc-physics.md §1.3 for LArIAT's beam). The time is the
trigger (t = 0).
"""

from __future__ import annotations

import math

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.event import Semantic, Truth
from argonet.sim.detector import Detector
from argonet.sim.generators.kinematics import isotropic_direction, rotate_from_axis
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
    "K+": (321, units.kaon_charged_mass_MeV, "SINGLE_K"),
}
KE_SPECTRA = ("uniform", "log")
DIRECTIONS = ("isotropic", "beam", "beamline")
FACE_EDGE_cm = 2.0          # beam-spot points closer than this to the face's edge are redrawn
MAX_SPOT_DRAWS = 1000


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


def sample_momentum_MeV(rng: np.random.Generator, p_MeV: tuple[float, float], spectrum: str = "uniform") -> float:
    """Momentum (MeV/c), uniform or log-uniform in [p_MeV[0], p_MeV[1]]."""
    lo, hi = p_MeV
    if not 0.0 < lo <= hi:
        raise ConfigError("generator.p_MeV_min/p_MeV_max", f"need 0 < p_MeV_min <= p_MeV_max, got {lo} > {hi}"
                          if lo > hi else f"need 0 < p_MeV_min, got {lo}")
    return sample_kinetic_MeV(rng, lo, hi, spectrum)


def cone_direction(rng: np.random.Generator, cone_deg: float) -> tuple[float, float, float]:
    """A unit vector uniform in solid angle within cone_deg (half-angle, degrees) of +z."""
    if not 0.0 <= cone_deg <= 90.0:
        raise ConfigError("generator.beam_cone_deg", f"must be in [0, 90] degrees, got {cone_deg}")
    cos_max = math.cos(math.radians(cone_deg))
    cos_t = 1.0 - (1.0 - cos_max) * rng.random()
    return rotate_from_axis((0.0, 0.0, 1.0), cos_t, 2.0 * math.pi * rng.random())


def beam_entry_cm(detector: Detector, rng: np.random.Generator, spot_sigma_cm: float) -> tuple[float, float, float]:
    """A point of the upstream face (z = active minimum), Gaussian around its centre, FACE_EDGE_cm inside its edge."""
    if spot_sigma_cm < 0.0:
        raise ConfigError("generator.beam_spot_sigma_cm", f"must be >= 0, got {spot_sigma_cm}")
    (x0, y0, z0), (x1, y1, _) = detector.active_min_cm, detector.active_max_cm
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    for _ in range(MAX_SPOT_DRAWS):
        x, y = cx + spot_sigma_cm * rng.standard_normal(), cy + spot_sigma_cm * rng.standard_normal()
        if x0 + FACE_EDGE_cm <= x <= x1 - FACE_EDGE_cm and y0 + FACE_EDGE_cm <= y <= y1 - FACE_EDGE_cm:
            return (float(x), float(y), float(z0))
    raise ConfigError("generator.beam_spot_sigma_cm", f"{spot_sigma_cm} cm: no beam-spot point lands on the "
                      f"upstream face of {detector.name}")


def shoot(particles: list[str], detector: Detector, rng: np.random.Generator, *, ke_MeV_min: float = 50.0,
          ke_MeV_max: float = 1000.0, direction: str = "isotropic", ke_spectrum: str = "uniform",
          margin_cm: float = 10.0, p_MeV: tuple[float, float] | None = None, cone_deg: float = 5.0,
          spot_sigma_cm: float = 3.0) -> tuple[np.ndarray, Truth]:
    """One event with one particle drawn uniformly from ``particles`` (semantic NEUTRINO); ``p_MeV``: a momentum
    range (MeV/c) replacing the kinetic-energy range; ``cone_deg`` and ``spot_sigma_cm`` shape ``beamline``."""
    if not particles:
        raise ConfigError("generator.particles", "must name at least one particle", GUN_PARTICLES)
    name = particles[int(rng.integers(len(particles)))]
    if name not in GUN_PARTICLES:
        raise ConfigError("generator.particles", f"unknown particle {name!r}", GUN_PARTICLES)
    if direction not in DIRECTIONS:
        raise ConfigError("generator.direction", f"unknown direction {direction!r}", DIRECTIONS)
    pdg, mass_MeV, class_name = GUN_PARTICLES[name]
    if p_MeV is None:
        ke = sample_kinetic_MeV(rng, ke_MeV_min, ke_MeV_max, ke_spectrum)
        p = math.sqrt(ke * (ke + 2.0 * mass_MeV))
    else:
        p = sample_momentum_MeV(rng, p_MeV, ke_spectrum)
    if direction == "beamline":
        ux, uy, uz = cone_direction(rng, cone_deg)
        vertex_cm = beam_entry_cm(detector, rng, spot_sigma_cm)
    else:
        ux, uy, uz = isotropic_direction(rng) if direction == "isotropic" else (0.0, 0.0, 1.0)
        vertex_cm = uniform_point(rng, *fiducial_bounds(detector, margin_cm))
    primaries = primaries_at([(pdg, p * ux, p * uy, p * uz)], vertex_cm, 0.0, Semantic.NEUTRINO)
    return primaries, Truth(class_name=class_name, vertex_cm=vertex_cm, vertex_t_ns=0.0)
