"""Argon as a nucleus for the neutrino toy: Fermi-gas nucleons and the FSI toy of §5.5.

The struck nucleon has a Fermi-gas momentum (|p| < k_F) and energy M - E_removal. Final-state
interactions follow the §5.5 recipe: pions are absorbed (20 %, giving 1-2 protons) or
charge-exchanged (7 %); nucleons rescatter, handing 20-60 % of their kinetic energy to a
knocked-out p or n; nucleons below 20 MeV stay in the nucleus. Two departures from the recipe,
both needed to reach the §5.5 proton multiplicities in numu CC (about 1/3 with no proton
above 40 MeV; the recipe as written gives 1/5): a nucleon rescatters with probability 0.6 per
pass (1 - exp(-L/lambda) with lambda_NN = 1/(rho_0 sigma_NN) ≈ 1.8 fm and L ≈ 3/4 R_Ar ≈ 3 fm
gives 0.6-0.8, rather than §5.5's 0.3), the products may rescatter again (up to 3 passes), and
in an np pair either nucleon may lead (isospin exchange), so protons can leave as neutrons.

Momenta and energies in GeV (the neutrino generator's unit). A hadron is ``(pdg, (E, px, py, pz))``.
"""

from __future__ import annotations

import math

import numpy as np

from argonet import units
from argonet.sim.generators.kinematics import Vec4, isotropic_direction, rotate_from_axis

Hadron = tuple[int, Vec4]

PROTON, NEUTRON, PI_PLUS, PI_MINUS, PI_ZERO = 2212, 2112, 211, -211, 111
NUCLEONS = (PROTON, NEUTRON)
PIONS = (PI_PLUS, PI_MINUS, PI_ZERO)
MASS_GeV = {
    PROTON: units.proton_mass_MeV / units.MeV_per_GeV,
    NEUTRON: units.neutron_mass_MeV / units.MeV_per_GeV,
    PI_PLUS: units.pion_charged_mass_MeV / units.MeV_per_GeV,
    PI_MINUS: units.pion_charged_mass_MeV / units.MeV_per_GeV,
    PI_ZERO: units.pion_neutral_mass_MeV / units.MeV_per_GeV,
}

# FSI toy parameters (§5.5 "toy FSI recipe")
PION_ABSORPTION_PROBABILITY = 0.20
PION_CHARGE_EXCHANGE_PROBABILITY = 0.07
ABSORPTION_ENERGY_LOSS_GeV = 0.040          # pion total energy minus this goes to 1-2 protons
NUCLEON_RESCATTER_PROBABILITY = 0.6         # per pass, 1 - exp(-L / lambda_NN) (see above)
RESCATTER_MAX_PASSES = 3
RESCATTER_KE_LOSS_RANGE = (0.2, 0.6)        # fraction of KE handed to the knocked-out nucleon
RESCATTER_MAX_ANGLE_DEG = 60.0
NUCLEON_DROP_KE_GeV = 0.020                 # nucleons below this stay in the nucleus

_FERMI_GeV = units.argon_fermi_momentum_MeV / units.MeV_per_GeV
_REMOVAL_GeV = units.argon_removal_energy_MeV / units.MeV_per_GeV


def kinetic_GeV(pdg: int, p4: Vec4) -> float:
    """Kinetic energy of a hadron from its total energy."""
    return p4[0] - MASS_GeV[pdg]


def on_shell(pdg: int, momentum: float, direction: tuple[float, float, float]) -> Hadron:
    """A hadron of the given momentum magnitude and unit direction."""
    dx, dy, dz = direction
    return pdg, (math.hypot(momentum, MASS_GeV[pdg]), momentum * dx, momentum * dy, momentum * dz)


def with_kinetic(pdg: int, ke_GeV: float, direction: tuple[float, float, float]) -> Hadron:
    """A hadron of kinetic energy ke_GeV along a unit direction."""
    m = MASS_GeV[pdg]
    return on_shell(pdg, math.sqrt(max(ke_GeV * (ke_GeV + 2.0 * m), 0.0)), direction)


def bound_nucleon(pdg: int, rng: np.random.Generator, fermi_motion: bool) -> Vec4:
    """Initial nucleon: at rest and free, or Fermi-gas momentum (|p| < k_F) with removal energy."""
    m = MASS_GeV[pdg]
    if not fermi_motion:
        return (m, 0.0, 0.0, 0.0)
    p = _FERMI_GeV * rng.random() ** (1.0 / 3.0)
    dx, dy, dz = isotropic_direction(rng)
    return (m - _REMOVAL_GeV, p * dx, p * dy, p * dz)


def _direction(p4: Vec4) -> tuple[float, float, float]:
    """Unit vector along a four-vector's momentum (+z for a particle at rest)."""
    _, px, py, pz = p4
    norm = math.sqrt(px * px + py * py + pz * pz)
    return (px / norm, py / norm, pz / norm) if norm > 0 else (0.0, 0.0, 1.0)


def _absorb(p4: Vec4, rng: np.random.Generator) -> list[Hadron]:
    """Pion absorbed on a nucleon cluster: 1-2 protons share its energy minus the loss."""
    available = p4[0] - ABSORPTION_ENERGY_LOSS_GeV
    if available <= 0.0:
        return []
    shares = [1.0] if rng.random() < 0.5 else [(f := rng.random()), 1.0 - f]
    return [with_kinetic(PROTON, available * s, isotropic_direction(rng)) for s in shares]


def _charge_exchange(pdg: int, p4: Vec4, rng: np.random.Generator) -> Hadron:
    """pi± → pi0 or pi0 → pi±, keeping the momentum."""
    new = PI_ZERO if pdg != PI_ZERO else (PI_PLUS if rng.random() < 0.5 else PI_MINUS)
    _, px, py, pz = p4
    return new, (math.sqrt(MASS_GeV[new] ** 2 + px * px + py * py + pz * pz), px, py, pz)


def _rescatter(pdg: int, p4: Vec4, rng: np.random.Generator) -> list[Hadron]:
    """A nucleon scatters on a p or n (50/50) of the nucleus and hands it 20-60 % of its KE.

    The struck nucleon leaves with that share minus the removal energy; both are deflected by
    up to 60 degrees. For an np pair either may lead (isospin exchange), so a proton can leave
    as a neutron.
    """
    ke = kinetic_GeV(pdg, p4)
    lost = ke * (RESCATTER_KE_LOSS_RANGE[0] + (RESCATTER_KE_LOSS_RANGE[1] - RESCATTER_KE_LOSS_RANGE[0]) * rng.random())
    partner = PROTON if rng.random() < 0.5 else NEUTRON
    leader = pdg
    if partner != leader and rng.random() < 0.5:
        leader, partner = partner, leader
    axis = _direction(p4)
    max_angle = math.radians(RESCATTER_MAX_ANGLE_DEG)
    phi = 2.0 * math.pi * rng.random()
    leader_dir = rotate_from_axis(axis, math.cos(max_angle * rng.random()), phi)
    partner_dir = rotate_from_axis(axis, math.cos(max_angle * rng.random()), phi + math.pi)
    return [with_kinetic(leader, ke - lost, leader_dir), with_kinetic(partner, lost - _REMOVAL_GeV, partner_dir)]


def apply_fsi(hadrons: list[Hadron], rng: np.random.Generator, pion_fsi: bool = True) -> list[Hadron]:
    """Final-state interactions of §5.5: pion absorption / charge exchange, nucleon rescatter, cut."""
    pending: list[tuple[Hadron, int]] = []
    for pdg, p4 in hadrons:
        if pion_fsi and pdg in PIONS:
            r = rng.random()
            if r < PION_ABSORPTION_PROBABILITY:
                pending.extend((h, 0) for h in _absorb(p4, rng))
                continue
            if r < PION_ABSORPTION_PROBABILITY + PION_CHARGE_EXCHANGE_PROBABILITY:
                pdg, p4 = _charge_exchange(pdg, p4, rng)
        pending.append(((pdg, p4), 0))
    out: list[Hadron] = []
    while pending:
        (pdg, p4), passes = pending.pop()
        if (pdg in NUCLEONS and passes < RESCATTER_MAX_PASSES
                and kinetic_GeV(pdg, p4) >= NUCLEON_DROP_KE_GeV and rng.random() < NUCLEON_RESCATTER_PROBABILITY):
            pending.extend((h, passes + 1) for h in _rescatter(pdg, p4, rng))
        else:
            out.append((pdg, p4))
    # nucleons this slow stay in the nucleus
    return [(pdg, p4) for pdg, p4 in out if pdg not in NUCLEONS or kinetic_GeV(pdg, p4) >= NUCLEON_DROP_KE_GeV]
