"""Relativistic kinematics for one event at a time: four-vectors, boosts, isotropic decays.

Four-vectors are plain tuples ``(E, px, py, pz)`` in one energy unit (the caller's: GeV in the
neutrino generator, MeV elsewhere). Scalar ``math`` is used on purpose: an event has a handful of
particles, and per-call numpy overhead would dominate.
"""

from __future__ import annotations

import math

import numpy as np

from argonet import units

Vec4 = tuple[float, float, float, float]
_PHASE_SPACE_BATCH = 64


def mass(p4: Vec4) -> float:
    """Invariant mass (0 for numerically light-like vectors)."""
    e, px, py, pz = p4
    return math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))


def add(*vectors: Vec4) -> Vec4:
    """Sum of four-vectors."""
    return tuple(sum(c) for c in zip(*vectors))  # type: ignore[return-value]


def _kallen(parent_mass, mass1, mass2):
    """(M^2 - (m1 + m2)^2)(M^2 - (m1 - m2)^2): 4 M^2 p*^2 of a two-body decay; floats or arrays."""
    return (parent_mass ** 2 - (mass1 + mass2) ** 2) * (parent_mass ** 2 - (mass1 - mass2) ** 2)


def two_body_momentum(parent_mass: float, mass1: float, mass2: float) -> float:
    """Momentum of either daughter in the parent rest frame (0 at threshold)."""
    return math.sqrt(max(_kallen(parent_mass, mass1, mass2), 0.0)) / (2.0 * parent_mass)


def isotropic_direction(rng: np.random.Generator) -> tuple[float, float, float]:
    """A unit vector uniform on the sphere."""
    cos_t = 2.0 * rng.random() - 1.0
    phi = 2.0 * math.pi * rng.random()
    sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
    return (sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t)


def rotate_from_axis(axis: tuple[float, float, float], cos_t: float, phi: float) -> tuple[float, float, float]:
    """The unit vector at polar angle acos(cos_t), azimuth phi, around the unit vector ``axis``."""
    ax, ay, az = axis
    sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
    (ux, uy, uz), (vx, vy, vz) = _perpendicular(axis)
    cp, sp = math.cos(phi) * sin_t, math.sin(phi) * sin_t
    return (cos_t * ax + cp * ux + sp * vx, cos_t * ay + cp * uy + sp * vy, cos_t * az + cp * uz + sp * vz)


def boost(p4: Vec4, beta: tuple[float, float, float]) -> Vec4:
    """p4 seen from a frame moving with velocity -beta (i.e. from the rest frame of beta to the lab)."""
    bx, by, bz = beta
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return p4
    gamma = 1.0 / math.sqrt(1.0 - b2)
    e, px, py, pz = p4
    bp = bx * px + by * py + bz * pz
    coef = (gamma - 1.0) * bp / b2 + gamma * e
    return (gamma * (e + bp), px + coef * bx, py + coef * by, pz + coef * bz)


def velocity(p4: Vec4) -> tuple[float, float, float]:
    """beta vector of a system with four-momentum p4."""
    e, px, py, pz = p4
    return (px / e, py / e, pz / e)


def two_body_decay(parent: Vec4, mass1: float, mass2: float, rng: np.random.Generator) -> tuple[Vec4, Vec4]:
    """Isotropic decay (in the parent rest frame) into daughters of masses mass1, mass2, in the lab."""
    m_parent = mass(parent)
    p_star = two_body_momentum(m_parent, mass1, mass2)
    ux, uy, uz = isotropic_direction(rng)
    d1 = (math.hypot(p_star, mass1), p_star * ux, p_star * uy, p_star * uz)
    d2 = (math.hypot(p_star, mass2), -p_star * ux, -p_star * uy, -p_star * uz)
    beta = velocity(parent)
    return boost(d1, beta), boost(d2, beta)


def pi0_to_photons(momentum_MeV: tuple[float, float, float], rng: np.random.Generator) -> tuple[Vec4, Vec4]:
    """The two photons (MeV) of pi0 → gamma gamma (98.8 %, §3.9), isotropic in the pi0 frame."""
    px, py, pz = momentum_MeV
    m_pi0 = units.pion_neutral_mass_MeV
    parent = (math.sqrt(m_pi0 ** 2 + px * px + py * py + pz * pz), px, py, pz)
    return two_body_decay(parent, 0.0, 0.0, rng)


def n_body_decay(parent: Vec4, masses: list[float], rng: np.random.Generator, max_batches: int = 1000
                 ) -> list[Vec4]:
    """Decay into len(masses) >= 2 particles distributed by n-body phase space (Raubold-Lynch).

    Intermediate invariant masses come from sorted uniforms; a candidate is accepted with
    probability (product of its two-body momenta) / (the product's upper bound). Candidates
    are drawn in batches: the acceptance falls quickly with the number of bodies.
    """
    m_parent = mass(parent)
    n = len(masses)
    kinetic = m_parent - sum(masses)
    if kinetic <= 0.0:
        raise ValueError("parent mass below the sum of the daughter masses")
    partial = np.cumsum(masses)
    low, daughter = partial[:-1], np.asarray(masses[1:])      # lowest mass of each sub-system
    bound = float(np.prod(np.sqrt(_kallen(low + daughter + kinetic, low, daughter))
                          / (2.0 * (low + daughter + kinetic))))
    for _ in range(max_batches):
        cuts = rng.random((_PHASE_SPACE_BATCH, n - 1))
        cuts[:, :-1].sort(axis=1)
        cuts[:, -1] = 1.0
        upper = partial[1:] + kinetic * cuts                  # invariant masses of sub-systems 1..n-1
        lower = np.concatenate([np.full((_PHASE_SPACE_BATCH, 1), masses[0]), upper[:, :-1]], axis=1)
        momenta = np.sqrt(np.maximum(_kallen(upper, lower, daughter), 0.0)) / (2.0 * upper)
        accepted = rng.random(_PHASE_SPACE_BATCH) * bound <= momenta.prod(axis=1)
        if accepted.any():
            break
    row = int(accepted.argmax())
    invariant, p_stars = [masses[0]] + upper[row].tolist(), momenta[row].tolist()
    # build the daughters from the innermost pair outwards, each step in the next rest frame
    daughters: list[Vec4] = [(masses[0], 0.0, 0.0, 0.0)]
    for i in range(1, n):
        p_star = p_stars[i - 1]
        ux, uy, uz = isotropic_direction(rng)
        speed = -p_star / math.hypot(p_star, invariant[i - 1])     # the recoiling sub-system
        daughters = [boost(d, (speed * ux, speed * uy, speed * uz)) for d in daughters]
        daughters.append((math.hypot(p_star, masses[i]), p_star * ux, p_star * uy, p_star * uz))
    beta = velocity(parent)
    return [boost(d, beta) for d in daughters]


def limited_pt_decay(parent: Vec4, masses: list[float], rng: np.random.Generator, mean_pt2: float,
                     max_tries: int = 100) -> list[Vec4]:
    """Hadrons of a hadronic system with limited transverse momentum (longitudinal phase space).

    In the system's rest frame, along its direction of flight: each hadron gets a transverse
    momentum from exp(-pT^2/<pT^2>) (the exp(-A pT^2), A = 3.5 GeV^-2, suppression of GENIE's
    AGKY hadronization, Yang et al., Eur. Phys. J. C 63, 1 (2009): <pT^2> = 0.29 GeV^2), the
    sum made zero; rapidities y_i = y0 + s u_i with u_i uniform in [-1, 1] (a flat rapidity
    plateau), the first hadron (the nucleon of a DIS system: the target remnant) taking the most
    backward one, y0 and the spread s fixed by sum p_z = 0 and sum E = W. Falls back to isotropic
    n-body phase space when no draw of max_tries gives a solution (transverse masses above W).
    """
    w = mass(parent)
    m = np.asarray(masses, dtype=float)
    axis = _unit3(parent)
    e1, e2 = _perpendicular(axis)
    beta = velocity(parent)
    for _ in range(max_tries):
        pt = rng.normal(0.0, math.sqrt(mean_pt2 / 2.0), (len(m), 2))
        pt -= pt.mean(axis=0)
        mt = np.sqrt(m * m + (pt * pt).sum(axis=1))
        u = rng.uniform(-1.0, 1.0, len(m))
        u[[0, int(np.argmin(u))]] = u[[int(np.argmin(u)), 0]]      # the first hadron at the backward end
        spread = float(np.ptp(u))
        if mt.sum() >= w or spread < 0.1:
            continue
        y = _plateau(mt, u, w, _MAX_RAPIDITY_SPAN / spread)
        if y is None:
            continue
        out = []
        for k in range(len(m)):
            pz = mt[k] * math.sinh(y[k])
            p = [pz * axis[i] + pt[k, 0] * e1[i] + pt[k, 1] * e2[i] for i in range(3)]
            out.append(boost((mt[k] * math.cosh(y[k]), p[0], p[1], p[2]), beta))
        if abs(sum(d[0] for d in out) - parent[0]) <= 1e-6 * parent[0]:
            return out
    return n_body_decay(parent, masses, rng)


_MAX_RAPIDITY_SPAN = 12.0


def _plateau(mt: np.ndarray, u: np.ndarray, w: float, s_max: float) -> np.ndarray | None:
    """Rapidities y0 + s·u of hadrons of transverse masses mt with sum p_z = 0 and mass w (None if s > s_max)."""
    pair_mt, pair_du = np.outer(mt, mt), u[:, None] - u[None, :]

    def invariant_mass(s: float) -> float:
        """Mass of the hadrons at rapidities s·u (sum over pairs, free of cancellations)."""
        return math.sqrt(float(np.sum(pair_mt * np.cosh(s * pair_du))))
    if invariant_mass(s_max) < w:
        return None
    lo, hi = 0.0, s_max
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if invariant_mass(mid) < w else (lo, mid)
    s = 0.5 * (lo + hi)
    # sum mt sinh(y0 + s u) = 0 gives e^(2 y0) = sum mt e^(-s u) / sum mt e^(s u); in logs it
    # stays finite where the ratio of the sinh and cosh sums rounds to +-1 (wide, one-sided plateaus)
    log_mt = np.log(mt)
    y0 = 0.5 * (float(np.logaddexp.reduce(log_mt - s * u)) - float(np.logaddexp.reduce(log_mt + s * u)))
    return y0 + s * u


def _unit3(p4: Vec4) -> tuple[float, float, float]:
    """Direction of a four-vector's momentum (+z at rest)."""
    _, px, py, pz = p4
    norm = math.sqrt(px * px + py * py + pz * pz)
    return (px / norm, py / norm, pz / norm) if norm > 0 else (0.0, 0.0, 1.0)


def _perpendicular(axis: tuple[float, float, float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Two unit vectors perpendicular to a unit axis and to each other."""
    ax, ay, az = axis
    ux, uy, uz = (-ay, ax, 0.0) if abs(az) < 0.9 else (0.0, -az, ay)
    norm = math.sqrt(ux * ux + uy * uy + uz * uz)
    ux, uy, uz = ux / norm, uy / norm, uz / norm
    return (ux, uy, uz), (ay * uz - az * uy, az * ux - ax * uz, ax * uy - ay * ux)
