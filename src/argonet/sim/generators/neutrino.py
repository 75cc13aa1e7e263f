"""Toy neutrino-argon event generator (lartpc-physics.md §5.6) for the interaction classes.

Per event: class → E_nu from the BNB flux x sigma_class (flux.py) → initial nucleon (free at
rest, or Fermi gas with removal energy) → two-body scattering nu + N → l + X computed in the
nucleon rest frame (QE: X = nucleon, Q^2 from Llewellyn-Smith; RES: X = Delta(1232) with a
Breit-Wigner mass and Q^2 ∝ (1 + Q^2/1.1^2)^-4, decaying isotropically to N pi with the
Clebsch-Gordan fractions of §5.2; DIS: X of mass W > 1.7 GeV from valence-like x and flat y,
breaking into a nucleon and >= 2 pions with limited transverse momentum) → FSI toy of §5.5 (nuclear.py).

Classes: CCQE, CCRES, CCDIS, NCQE (NC elastic), NCRES, NC_PI0 (NC RES forced to a pi0 final
state, pion FSI off so the pi0 survives), NUE_CC (nu_e CC, QE or RES) and NC (all NC processes
in natural proportions), NUMU_CC (all numu CC processes). nu_e energies also follow the numu flux
shape (§5.1 gives no nu_e table; its <E_nue> is 0.97 GeV against 0.82). NUTAU_CC is refused with
the BNB flux (no nu_tau above the tau threshold). With ``flux='dune'`` the class, energy and
process come from dune_flux.py (cross-section-weighted QE/RES/DIS mix, NUTAU_CC included; the
tau decays at the vertex, tau.py).
Interaction codes follow LArSoft's simb::int_type_ (Nuance offset 1000): 1001 CCQE, 1002 NC
elastic, 1003-1005 CC RES, 1006-1009 NC RES, 1091/1092 CC/NC DIS. Kinematics in GeV; primaries
leave in MeV/c; the beam runs along +z.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.event import Semantic, Truth
from argonet.sim.detector import Detector
from argonet.sim.generators import dune_flux, flux, xsec
from argonet.sim.generators.kinematics import (Vec4, add, boost, limited_pt_decay, mass, rotate_from_axis,
                                               two_body_decay, velocity)
from argonet.sim.generators.neutrons import neutron_products
from argonet.sim.generators.nuclear import (MASS_GeV, NEUTRON, PI_MINUS, PI_PLUS, PI_ZERO, PROTON, Hadron,
                                            apply_fsi, bound_nucleon, kinetic_GeV)
from argonet.sim.generators.placement import fiducial_bounds, primaries_at, uniform_point
from argonet.sim.generators.tau import TAU, TAU_MASS_GeV, decay_tau

NUMU, NUE = 14, 12
MUON, ELECTRON = 13, 11
CC, NC = 0, 1
LEPTON_MASS_GeV = {MUON: units.muon_mass_MeV / units.MeV_per_GeV,
                   ELECTRON: units.electron_mass_MeV / units.MeV_per_GeV, TAU: TAU_MASS_GeV, None: 0.0}

# Nuance/GENIE-style interaction codes (LArSoft simb::int_type_)
CCQE_CODE, NCQE_CODE, CCDIS_CODE, NCDIS_CODE = 1001, 1002, 1091, 1092


class ResChannel(NamedTuple):
    """One Delta(1232) final state: code, target and outgoing nucleon, pion, fraction (§5.2)."""

    code: int
    target: int
    nucleon: int
    pion: int
    fraction: float


#: CC: nu p → mu- p pi+ (Delta++) has 3x the strength of nu n → mu- Delta+ (pi0 2/3, pi+ 1/3).
CC_RES_CHANNELS = (ResChannel(1003, PROTON, PROTON, PI_PLUS, 0.71), ResChannel(1004, NEUTRON, PROTON, PI_ZERO, 0.19),
                   ResChannel(1005, NEUTRON, NEUTRON, PI_PLUS, 0.10))
#: NC: Delta+ from p and Delta0 from n with equal strength (Ar: N = 22, Z = 18).
NC_RES_CHANNELS = (ResChannel(1006, PROTON, PROTON, PI_ZERO, 0.30), ResChannel(1007, PROTON, NEUTRON, PI_PLUS, 0.15),
                   ResChannel(1008, NEUTRON, NEUTRON, PI_ZERO, 0.37), ResChannel(1009, NEUTRON, PROTON, PI_MINUS, 0.18))
NC_PI0_CHANNELS = tuple(c for c in NC_RES_CHANNELS if c.pion == PI_ZERO)

# Delta(1232) toy of §5.4
DELTA_MASS_GeV = units.delta_1232_mass_MeV / units.MeV_per_GeV
DELTA_WIDTH_GeV = units.delta_1232_width_MeV / units.MeV_per_GeV
DELTA_W_RANGE_GeV = (1.08, 1.40)
RES_Q2_SCALE_GeV2 = 1.1 ** 2
#: DIS hadrons: <pT^2> about the system's direction, 1/A with A = 3.5 GeV^-2 (GENIE AGKY, Yang et al. 2009)
DIS_MEAN_PT2_GeV2 = 1.0 / 3.5


class Process(NamedTuple):
    """How an event of a class is made: process, neutrino, charged lepton, flux x sigma spectrum."""

    name: str                 # qe | res | dis
    nu_pdg: int
    lepton: int | None        # None: neutral current
    spectrum: str             # one of flux.SPECTRA
    weight: float             # share inside a mixed class


#: Mixed classes use §5.3's natural proportions (CCQE 0.45 : CCRES 0.33; NC-elastic 0.10 :
#: NCRES 0.12, plus a little NC DIS).
CLASS_PROCESSES: dict[str, tuple[Process, ...]] = {
    "CCQE": (Process("qe", NUMU, MUON, "qe_mu", 1.0),),
    "CCRES": (Process("res", NUMU, MUON, "res", 1.0),),
    "CCDIS": (Process("dis", NUMU, MUON, "dis_mu", 1.0),),
    "NCQE": (Process("qe", NUMU, None, "qe_nc", 1.0),),
    "NCRES": (Process("res", NUMU, None, "res", 1.0),),
    "NC_PI0": (Process("res", NUMU, None, "res", 1.0),),
    "NUE_CC": (Process("qe", NUE, ELECTRON, "qe_e", 0.45), Process("res", NUE, ELECTRON, "res", 0.33)),
    "NC": (Process("qe", NUMU, None, "qe_nc", 0.10), Process("res", NUMU, None, "res", 0.12),
           Process("dis", NUMU, None, "dis_nc", 0.02)),
    "NUMU_CC": (Process("qe", NUMU, MUON, "qe_mu", 0.45), Process("res", NUMU, MUON, "res", 0.33),
                Process("dis", NUMU, MUON, "dis_mu", 0.07)),
}
CLASSES = tuple(CLASS_PROCESSES)
_MAX_TRIES = 100
_NUCLEON_TRIES = 10
_DIS_BATCH = 64
_DIS_BATCHES = 2           # near the W threshold, give up and let a new E_nu be drawn


class Interaction(NamedTuple):
    """What the kinematics produced: code, current, lepton (or None), hadrons, all in GeV."""

    code: int
    current: int
    lepton: Hadron | None
    hadrons: list[Hadron]


def _pick(rng: np.random.Generator, items, weights):
    """One of items with probability ∝ weights."""
    r = rng.random() * sum(weights)
    for item, w in zip(items, weights):
        r -= w
        if r < 0:
            return item
    return items[-1]


def _scatter(e_nu_GeV: float, nucleon: Vec4, lepton_mass_GeV: float, choose, rng: np.random.Generator
             ) -> tuple[Vec4, Vec4] | None:
    """nu(+z) + nucleon → lepton + X, solved in the nucleon rest frame, returned in the lab.

    ``choose(e_rest, s, m_star)`` returns (W, Q^2) of the hadronic system X, or None if impossible.
    """
    beta = velocity(nucleon)
    m_star = mass(nucleon)
    k_rest = boost((e_nu_GeV, 0.0, 0.0, e_nu_GeV), (-beta[0], -beta[1], -beta[2]))
    e_rest = k_rest[0]
    picked = choose(e_rest, m_star * m_star + 2.0 * m_star * e_rest, m_star)
    if picked is None:
        return None
    w_GeV, q2 = picked
    omega = (w_GeV * w_GeV - m_star * m_star + q2) / (2.0 * m_star)
    e_l = e_rest - omega
    m_l2 = lepton_mass_GeV * lepton_mass_GeV
    if e_l <= lepton_mass_GeV:
        return None
    p_l = math.sqrt(e_l * e_l - m_l2)
    cos_t = (2.0 * e_rest * e_l - m_l2 - q2) / (2.0 * e_rest * p_l)
    if abs(cos_t) > 1.0 + 1e-9:
        return None
    axis = (k_rest[1] / e_rest, k_rest[2] / e_rest, k_rest[3] / e_rest)
    dx, dy, dz = rotate_from_axis(axis, max(-1.0, min(1.0, cos_t)), 2.0 * math.pi * rng.random())
    lepton = (e_l, p_l * dx, p_l * dy, p_l * dz)
    hadron = (m_star + k_rest[0] - e_l, k_rest[1] - lepton[1], k_rest[2] - lepton[2], k_rest[3] - lepton[3])
    return boost(lepton, beta), boost(hadron, beta)


def _qe_choice(final_mass_GeV: float, lepton_mass_GeV: float, rng: np.random.Generator):
    """QE: X is the nucleon; Q^2 from the Llewellyn-Smith dsigma/dQ^2."""
    def choose(e_rest: float, s: float, m_star: float):
        limits = xsec.q2_range_GeV2(e_rest, m_star, final_mass_GeV, lepton_mass_GeV)
        if limits is None:
            return None
        fraction = xsec.qe_q2_fraction(e_rest, lepton_mass_GeV, rng.random())
        return final_mass_GeV, limits[0] + fraction * (limits[1] - limits[0])
    return choose


def _res_choice(lepton_mass_GeV: float, rng: np.random.Generator):
    """RES: W from a Breit-Wigner truncated to 1.08-1.40 GeV, Q^2 ∝ (1 + Q^2/1.1^2)^-4."""
    def choose(e_rest: float, s: float, m_star: float):
        w_hi = min(DELTA_W_RANGE_GeV[1], math.sqrt(s) - lepton_mass_GeV - 1e-6)
        if w_hi <= DELTA_W_RANGE_GeV[0]:
            return None
        a_lo = math.atan(2.0 * (DELTA_W_RANGE_GeV[0] - DELTA_MASS_GeV) / DELTA_WIDTH_GeV)
        a_hi = math.atan(2.0 * (w_hi - DELTA_MASS_GeV) / DELTA_WIDTH_GeV)
        w_GeV = DELTA_MASS_GeV + 0.5 * DELTA_WIDTH_GeV * math.tan(a_lo + (a_hi - a_lo) * rng.random())
        limits = xsec.q2_range_GeV2(e_rest, m_star, w_GeV, lepton_mass_GeV)
        if limits is None:
            return None
        g_lo, g_hi = ((1.0 + q2 / RES_Q2_SCALE_GeV2) ** -3 for q2 in limits)
        g = g_lo + (g_hi - g_lo) * rng.random()
        return w_GeV, RES_Q2_SCALE_GeV2 * (g ** (-1.0 / 3.0) - 1.0)
    return choose


def _dis_choice(lepton_mass_GeV: float, rng: np.random.Generator):
    """DIS: y flat and valence-like x ∝ x^-0.5 (1-x)^3, restricted to W >= W_min.

    Proposal: y uniform where W >= W_min is reachable, x = x_max(y) u^2 (∝ x^-0.5 below the x
    that gives W_min); accepted with probability (1-x)^3 sqrt(x_max(y)), which is exact.
    """
    def choose(e_rest: float, s: float, m_star: float):
        two_m_e = 2.0 * m_star * e_rest
        y_lo = (xsec.DIS_W_MIN_GeV ** 2 - m_star * m_star) / two_m_e
        y_hi = 1.0 - lepton_mass_GeV / e_rest
        if y_lo >= y_hi:
            return None
        m_l2 = lepton_mass_GeV * lepton_mass_GeV
        for _ in range(_DIS_BATCHES):
            y = y_lo + (y_hi - y_lo) * rng.random(_DIS_BATCH)
            x_max = 1.0 - y_lo / y
            x = x_max * rng.random(_DIS_BATCH) ** 2
            q2 = two_m_e * x * y
            e_l = e_rest * (1.0 - y)
            cos_t = (2.0 * e_rest * e_l - m_l2 - q2) / (2.0 * e_rest * np.sqrt(e_l * e_l - m_l2))
            accept = (rng.random(_DIS_BATCH) < (1.0 - x) ** 3 * np.sqrt(x_max)) & (np.abs(cos_t) <= 1.0)
            if accept.any():
                i = int(accept.argmax())
                return math.sqrt(m_star * m_star + two_m_e * y[i] * (1.0 - x[i])), float(q2[i])
        return None
    return choose


def _solve(e_nu_GeV: float, target: int, lepton_mass_GeV: float, choice, rng: np.random.Generator,
           fermi_motion: bool) -> tuple[Vec4, Vec4] | None:
    """Retry the initial nucleon until the kinematics close (Fermi motion can lower the energy)."""
    for _ in range(_NUCLEON_TRIES):
        solved = _scatter(e_nu_GeV, bound_nucleon(target, rng, fermi_motion), lepton_mass_GeV, choice, rng)
        if solved is not None:
            return solved
    return None


def _lepton(pdg: int | None, p4: Vec4) -> Hadron | None:
    """The outgoing charged lepton (None for NC: the outgoing neutrino stays in the truth only)."""
    return None if pdg is None else (pdg, p4)


def quasi_elastic(e_nu_GeV: float, lepton: int | None, rng: np.random.Generator, fermi_motion: bool
                  ) -> Interaction | None:
    """CCQE (nu n → l- p) or, with lepton None, NC elastic on p or n (50/50)."""
    if lepton is None:
        target = PROTON if rng.random() < 0.5 else NEUTRON
        final, code, current = target, NCQE_CODE, NC
    else:
        target, final, code, current = NEUTRON, PROTON, CCQE_CODE, CC
    m_l = LEPTON_MASS_GeV[lepton]
    solved = _solve(e_nu_GeV, target, m_l, _qe_choice(MASS_GeV[final], m_l, rng), rng, fermi_motion)
    if solved is None:
        return None
    return Interaction(code, current, _lepton(lepton, solved[0]), [(final, solved[1])])


def resonance(e_nu_GeV: float, lepton: int | None, channels: tuple[ResChannel, ...], rng: np.random.Generator,
              fermi_motion: bool) -> Interaction | None:
    """Delta(1232) production and isotropic decay to the N pi of a channel drawn by CG fraction."""
    channel = _pick(rng, channels, [c.fraction for c in channels])
    m_l = LEPTON_MASS_GeV[lepton]
    solved = _solve(e_nu_GeV, channel.target, m_l, _res_choice(m_l, rng), rng, fermi_motion)
    if solved is None:
        return None
    nucleon, pion = two_body_decay(solved[1], MASS_GeV[channel.nucleon], MASS_GeV[channel.pion], rng)
    current = NC if lepton is None else CC
    return Interaction(channel.code, current, _lepton(lepton, solved[0]),
                       [(channel.nucleon, nucleon), (channel.pion, pion)])


def _pion_charges(n_pions: int, charge: int, rng: np.random.Generator) -> list[int] | None:
    """Random pion charges (-1, 0, +1) summing to ``charge``, or None if impossible."""
    if abs(charge) > n_pions:
        return None
    charges = [int(rng.integers(-1, 2)) for _ in range(n_pions)]
    while (gap := charge - sum(charges)) != 0:
        step = 1 if gap > 0 else -1
        movable = [i for i, q in enumerate(charges) if -1 <= q + step <= 1]
        charges[movable[int(rng.integers(len(movable)))]] += step
    return charges


def deep_inelastic(e_nu_GeV: float, lepton: int | None, rng: np.random.Generator, fermi_motion: bool
                   ) -> Interaction | None:
    """DIS toy: the W > 1.7 GeV system breaks into a nucleon and 2 + Poisson(ln(W^2/W_min^2)) pions,
    charges drawn at random under charge conservation (target n or p by N/A), as a jet along the
    system's direction: limited transverse momentum, flat rapidity plateau (limited_pt_decay)."""
    target = NEUTRON if rng.random() < units.argon_neutron_fraction else PROTON
    m_l = LEPTON_MASS_GeV[lepton]
    solved = _solve(e_nu_GeV, target, m_l, _dis_choice(m_l, rng), rng, fermi_motion)
    if solved is None:
        return None
    system = solved[1]
    w_GeV = mass(system)
    hadron_charge = (1 if target == PROTON else 0) + (0 if lepton is None else 1)
    m_pi = MASS_GeV[PI_PLUS]
    n_max = int((w_GeV - MASS_GeV[PROTON] - 0.02) / m_pi)
    n_pions = min(2 + int(rng.poisson(math.log(w_GeV ** 2 / xsec.DIS_W_MIN_GeV ** 2))), n_max)
    nucleon = PROTON if rng.random() < 0.5 else NEUTRON
    charges = _pion_charges(n_pions, hadron_charge - (nucleon == PROTON), rng)
    if charges is None:
        nucleon = NEUTRON if nucleon == PROTON else PROTON
        charges = _pion_charges(n_pions, hadron_charge - (nucleon == PROTON), rng)
    pdgs = [nucleon] + [{1: PI_PLUS, 0: PI_ZERO, -1: PI_MINUS}[q] for q in charges]
    momenta = limited_pt_decay(system, [MASS_GeV[p] for p in pdgs], rng, DIS_MEAN_PT2_GeV2)
    code = NCDIS_CODE if lepton is None else CCDIS_CODE
    return Interaction(code, NC if lepton is None else CC, _lepton(lepton, solved[0]), list(zip(pdgs, momenta)))


def _plan(class_name: str, rng: np.random.Generator, e_max_GeV: float) -> Process:
    """The process of one event of class_name (mixed classes skip processes above e_max_GeV)."""
    if class_name == "NUTAU_CC":
        raise ConfigError("generator.classes", "NUTAU_CC needs a nu_tau flux above the 3.5 GeV tau threshold; "
                          "the BNB flux has none", CLASSES)
    if class_name not in CLASS_PROCESSES:
        raise ConfigError("generator.classes", f"unknown interaction class {class_name!r}", CLASSES)
    options = CLASS_PROCESSES[class_name]
    if len(options) > 1:
        options = tuple(o for o in options if flux.energy_threshold_GeV(o.spectrum) < e_max_GeV) or options
    return _pick(rng, options, [o.weight for o in options])


def _plan_beam(class_name: str, rng: np.random.Generator, e_max_GeV: float, beam: str
               ) -> tuple[str, int, int | None, float]:
    """(process, neutrino pdg, charged lepton, E_nu GeV) of one event in the BNB or the DUNE beam."""
    if beam == "dune":
        planned = dune_flux.plan(class_name, rng, e_max_GeV)
        return planned.process, planned.nu_pdg, planned.lepton, planned.e_nu_GeV
    process, nu_pdg, lepton, spectrum, _ = _plan(class_name, rng, e_max_GeV)
    return process, nu_pdg, lepton, flux.sample_energy_GeV(spectrum, rng, e_max_GeV)


def interaction_kinematics(class_name: str, rng: np.random.Generator, e_max_GeV: float = 3.0,
                           fermi_motion: bool = True, beam: str = "bnb") -> tuple[float, int, Interaction]:
    """(E_nu GeV, neutrino pdg, interaction before FSI) of one event of class_name in the bnb or dune beam."""
    for _ in range(_MAX_TRIES):
        process, nu_pdg, lepton, e_nu = _plan_beam(class_name, rng, e_max_GeV, beam)
        if process == "qe":
            result = quasi_elastic(e_nu, lepton, rng, fermi_motion)
        elif process == "dis":
            result = deep_inelastic(e_nu, lepton, rng, fermi_motion)
        else:
            channels = (CC_RES_CHANNELS if lepton is not None else
                        NC_PI0_CHANNELS if class_name == "NC_PI0" else NC_RES_CHANNELS)
            result = resonance(e_nu, lepton, channels, rng, fermi_motion)
        if result is not None:
            return e_nu, nu_pdg, result
    raise ConfigError("generator.nu_energy_GeV_max", f"cannot make {class_name} kinematics below {e_max_GeV} GeV")


def _to_MeV(particles: list[Hadron], keep: frozenset[int]) -> list[tuple[int, float, float, float]]:
    """(pdg, px, py, pz) in MeV/c of the particles transport can follow."""
    scale = units.MeV_per_GeV
    return [(pdg, p4[1] * scale, p4[2] * scale, p4[3] * scale) for pdg, p4 in particles if pdg in keep]


def _unit(p4: Vec4) -> tuple[float, float, float]:
    """Direction of a four-vector's momentum (+z at rest)."""
    p = math.sqrt(p4[1] ** 2 + p4[2] ** 2 + p4[3] ** 2)
    return (p4[1] / p, p4[2] / p, p4[3] / p) if p > 0 else (0.0, 0.0, 1.0)


_TRANSPORTABLE = frozenset({11, -11, 13, -13, 22, PI_PLUS, PI_MINUS, PI_ZERO, PROTON})


def sample_interaction(class_name: str, detector: Detector, rng: np.random.Generator, *,
                       e_max_GeV: float = 3.0, margin_cm: float = 10.0, fermi_motion: bool = True,
                       fsi: bool = True, neutrons: bool = False, beam: str = "bnb") -> tuple[np.ndarray, Truth]:
    """One neutrino event of class_name: primaries (PRIMARY_DTYPE, semantic NEUTRINO) and truth.

    The vertex is uniform in the active volume shrunk by margin_cm, the time uniform in the BNB
    spill (ns after the trigger). With ``neutrons`` set, neutrons are handed to transport (a table
    row) and followed by the neutron toy (neutrons.py): the photons and protons they leave.
    """
    e_nu, nu_pdg, result = interaction_kinematics(class_name, rng, e_max_GeV, fermi_motion, beam)
    hadrons = apply_fsi(result.hadrons, rng, pion_fsi=class_name != "NC_PI0") if fsi else result.hadrons
    leptons = [] if result.lepton is None else [result.lepton]
    if leptons and abs(leptons[0][0]) == TAU:
        leptons = decay_tau(*leptons[0], rng)
    outgoing = leptons + hadrons
    keep = _TRANSPORTABLE | {NEUTRON} if neutrons else _TRANSPORTABLE
    vertex_cm = uniform_point(rng, *fiducial_bounds(detector, margin_cm))
    t_ns = rng.random() * units.bnb_spill_us * 1000.0
    primaries = primaries_at(_to_MeV(outgoing, keep), vertex_cm, t_ns, Semantic.NEUTRINO)
    if neutrons:
        box = (detector.active_min_cm, detector.active_max_cm)
        products = [neutron_products(1000.0 * kinetic_GeV(pdg, p4), _unit(p4), vertex_cm, t_ns, box, rng,
                                     Semantic.NEUTRINO) for pdg, p4 in outgoing if pdg == NEUTRON]
        primaries = np.concatenate([primaries, *products])
    truth = Truth(class_name=class_name, nu_pdg=nu_pdg, nu_energy_GeV=e_nu, current_type=result.current,
                  interaction_type=result.code, vertex_cm=vertex_cm, vertex_t_ns=t_ns)
    return primaries, truth


def total_four_momentum(interaction: Interaction) -> Vec4:
    """Sum of the lepton and hadron four-momenta (GeV), for conservation checks."""
    parts = ([interaction.lepton[1]] if interaction.lepton else []) + [p4 for _, p4 in interaction.hadrons]
    return add(*parts)
