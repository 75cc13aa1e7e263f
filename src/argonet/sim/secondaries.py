"""What a particle leaves where its track ends: decays, captures, hadronic interactions.

Recipes of lartpc-physics.md §3.9-§3.10 and §4: μ± decay at rest (Michel spectrum), μ⁻
capture, π⁺ → μ⁺ν at rest, π⁻/K⁻ absorption stars, π±/K± decay in flight, the toy π/p
interactions in flight, π⁰ → γγ (Dalitz 1.2 %) and e⁺ annihilation. ``products`` fills a
small array (columns Q_*) with the particles created at the end point; transport pushes them.
Lifetimes ns, energies MeV.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from argonet.sim.draws import exponential, isotropic
from argonet.sim.transport_layout import (
    FATE_DECAY, FATE_INELASTIC, FATE_STOP, FOLD, KIND_LOW_ENERGY, KIND_MICHEL, KIND_SHOWER, KIND_TRACK,
    K_KIND, K_PDG, OWN_ROW, PR_ANNIHIL, PR_CAPTURE_AT_REST, PR_DECAY, PR_KM_INELASTIC, PR_KP_INELASTIC,
    PR_MU_CAPTURE, PR_PIM_INELASTIC, PR_PIP_INELASTIC, PR_P_INELASTIC, P_CAPTURE_GAMMA_COUNT,
    P_CAPTURE_GAMMA_MEAN, P_E_MASS, P_HBARC, P_K_LIFETIME, P_K_MASS, P_K_MU_NU, P_MICHEL_MAX, P_MU_CAPTURE,
    P_MU_LIFETIME, P_MU_MASS, P_MU_MINUS_LIFETIME, P_NUCLEAR_RADIUS, P_N_MASS, P_PI0_GG, P_PI0_MASS, P_PI_ABS,
    P_PI_CEX, P_PI_LIFETIME, P_PI_MASS, P_PI_QE, P_P_KEEP_MAX, P_P_KEEP_MIN, P_P_MASS, P_P_MAX_ANGLE,
    P_REMOVAL, P_STAR_P_COUNT, P_STAR_P_MEAN, Q_CREDIT, Q_KE, Q_KIND, Q_PDG, Q_PROCESS, Q_T, Q_UX, Q_UY, Q_UZ,
    S_CHANNEL, S_KE, S_T, S_UX, S_UY, S_UZ)
from argonet.sim.vector_math import boost, rotate, scatter, two_body_momentum
from argonet.sim.xoshiro import uniform


@njit(cache=True, inline="always")
def mass_MeV(par, abs_pdg):
    """Rest mass of the particles transport knows (0 for photons, neutrinos and unknowns)."""
    if abs_pdg == 13:
        return par[P_MU_MASS]
    if abs_pdg == 211:
        return par[P_PI_MASS]
    if abs_pdg == 321:
        return par[P_K_MASS]
    if abs_pdg == 2212:
        return par[P_P_MASS]
    if abs_pdg == 2112:
        return par[P_N_MASS]
    if abs_pdg == 11:
        return par[P_E_MASS]
    if abs_pdg == 111:
        return par[P_PI0_MASS]
    return 0.0


@njit(cache=True)
def _add(prod, n, pdg, ux, uy, uz, ke_MeV, t_ns, kind, process):
    """Append an own-row product; returns the new count."""
    row = prod[n]
    row[Q_PDG], row[Q_UX], row[Q_UY], row[Q_UZ] = pdg, ux, uy, uz
    row[Q_KE], row[Q_T], row[Q_KIND], row[Q_PROCESS], row[Q_CREDIT] = ke_MeV, t_ns, kind, process, OWN_ROW
    return n + 1


@njit(cache=True)
def _add_lab(prod, n, pdg, mass, energy, px, py, pz, t_ns, kind, process):
    """Append a product given its lab 4-momentum."""
    p = math.sqrt(px * px + py * py + pz * pz)
    if p <= 0.0:
        return _add(prod, n, pdg, 0.0, 0.0, 1.0, 0.0, t_ns, kind, process)
    return _add(prod, n, pdg, px / p, py / p, pz / p, max(energy - mass, 0.0), t_ns, kind, process)


@njit(cache=True)
def _two_body(state, prod, n, mass, vx, vy, vz, pdg1, m1, pdg2, m2, t_ns, kind, process):
    """Isotropic two-body decay of a particle with velocity (vx, vy, vz); pdg 0 (a neutrino) dropped."""
    p = two_body_momentum(mass, m1, m2)
    ux, uy, uz = isotropic(state)
    for pdg, m, sign in ((pdg1, m1, 1.0), (pdg2, m2, -1.0)):
        if pdg != 0.0:
            e, px, py, pz = boost(math.sqrt(p * p + m * m), sign * p * ux, sign * p * uy, sign * p * uz, vx, vy, vz)
            n = _add_lab(prod, n, pdg, m, e, px, py, pz, t_ns, kind, process)
    return n


@njit(cache=True, inline="always")
def sample_michel_fraction(state):
    """x = E_e/E_max from the Michel spectrum 6x² - 4x³ (§3.9), by rejection."""
    while True:
        x = uniform(state)
        if 2.0 * uniform(state) <= x * x * (6.0 - 4.0 * x):
            return x


@njit(cache=True)
def _nuclear_blips(state, par, prod, n, t_ns, process, max_protons, proton_mean_MeV):
    """De-excitation photons (1-3) and slow protons of a nuclear capture (few-MeV blips, §3.9)."""
    for _ in range(1 + int(uniform(state) * par[P_CAPTURE_GAMMA_COUNT] - 1e-12)):
        ux, uy, uz = isotropic(state)
        n = _add(prod, n, 22.0, ux, uy, uz, exponential(state, par[P_CAPTURE_GAMMA_MEAN]), t_ns,
                 KIND_LOW_ENERGY, process)
    for _ in range(int(uniform(state) * (max_protons + 1.0) - 1e-12)):
        ux, uy, uz = isotropic(state)
        n = _add(prod, n, 2212.0, ux, uy, uz, exponential(state, proton_mean_MeV), t_ns, KIND_TRACK, process)
    return n


@njit(cache=True)
def _turned(state, st, cos_min):
    """The end direction turned by a random angle with cos θ uniform in [cos_min, 1]."""
    return rotate(st[S_UX], st[S_UY], st[S_UZ], cos_min + (1.0 - cos_min) * uniform(state),
                  2.0 * math.pi * uniform(state))


@njit(cache=True)
def _rescatter(state, par, prod, n, pdg, st, process):
    """Quasi-elastic toy (§3.10, §5.5): the hadron keeps 40-80 % of its KE, turned by ≤ 60°,
    and a knocked-out nucleon (a proton half of the time) takes the rest minus the removal energy."""
    ke = st[S_KE]
    keep = par[P_P_KEEP_MIN] + (par[P_P_KEEP_MAX] - par[P_P_KEEP_MIN]) * uniform(state)
    ux, uy, uz = _turned(state, st, math.cos(par[P_P_MAX_ANGLE]))
    n = _add(prod, n, pdg, ux, uy, uz, keep * ke, st[S_T], KIND_TRACK, process)
    ke_out = (1.0 - keep) * ke - par[P_REMOVAL]
    if ke_out > 0.0 and uniform(state) < 0.5:
        ux, uy, uz = _turned(state, st, 0.0)
        n = _add(prod, n, 2212.0, ux, uy, uz, ke_out, st[S_T], KIND_TRACK, process)
    return n


@njit(cache=True, inline="always")
def _absorption(state, par, prod, n, mass, st, process):
    """Pion absorption (§3.10): 1-3 protons share 50-100 % of T + m - removal energy, isotropic."""
    available = (st[S_KE] + mass - par[P_REMOVAL]) * (0.5 + 0.5 * uniform(state))
    count = 1 + int(3.0 * uniform(state) - 1e-12)
    w1, w2, w3 = exponential(state, 1.0), exponential(state, 1.0), exponential(state, 1.0)
    weights = (w1, w2 if count > 1 else 0.0, w3 if count > 2 else 0.0)
    total = weights[0] + weights[1] + weights[2]
    for w in weights:
        if w > 0.0 and available > 0.0:
            ux, uy, uz = isotropic(state)
            n = _add(prod, n, 2212.0, ux, uy, uz, available * w / total, st[S_T], KIND_TRACK, process)
    return n


@njit(cache=True, inline="always")
def _hadronic(state, par, prod, n, pdg, mass, st):
    """Toy inelastic interaction in flight (§3.10): absorption, quasi-elastic, charge exchange."""
    if pdg == 2212.0:
        return _rescatter(state, par, prod, n, pdg, st, PR_P_INELASTIC)
    if abs(pdg) == 321.0:
        process = PR_KP_INELASTIC if pdg > 0 else PR_KM_INELASTIC
    else:
        process = PR_PIP_INELASTIC if pdg > 0 else PR_PIM_INELASTIC
    channel = st[S_CHANNEL]
    if channel < par[P_PI_ABS]:
        return _absorption(state, par, prod, n, mass, st, process)
    if channel < par[P_PI_ABS] + par[P_PI_QE]:
        return _rescatter(state, par, prod, n, pdg, st, process)
    ux, uy, uz = _turned(state, st, math.cos(par[P_P_MAX_ANGLE]))
    return _add(prod, n, 111.0, ux, uy, uz, st[S_KE], st[S_T], KIND_SHOWER, process)


@njit(cache=True)
def _decay(state, par, prod, n, pdg, mass, st, t_ns, vx, vy, vz):
    """π± → μ±ν, K± → μ±ν (63.6 %) or π±π⁰, moving with velocity v (0 at rest)."""
    sign = 1.0 if pdg > 0 else -1.0
    if abs(pdg) == 211.0 or uniform(state) < par[P_K_MU_NU]:
        return _two_body(state, prod, n, mass, vx, vy, vz, -13.0 * sign, par[P_MU_MASS], 0.0, 0.0, t_ns,
                         KIND_TRACK, PR_DECAY)
    return _two_body(state, prod, n, mass, vx, vy, vz, 211.0 * sign, par[P_PI_MASS], 111.0, par[P_PI0_MASS],
                     t_ns, KIND_TRACK, PR_DECAY)


@njit(cache=True, inline="always")
def _at_rest(state, par, prod, n, pdg, mass, st):
    """Decay or nuclear capture of a stopped μ, π or K (§3.9)."""
    t0 = st[S_T]
    if pdg == -13.0 or pdg == 13.0:
        if pdg == 13.0:
            t = t0 + exponential(state, par[P_MU_MINUS_LIFETIME])
            if uniform(state) < par[P_MU_CAPTURE]:
                return _nuclear_blips(state, par, prod, n, t, PR_MU_CAPTURE, 0.0, 0.0)
        else:
            t = t0 + exponential(state, par[P_MU_LIFETIME])
        ke = max(sample_michel_fraction(state) * par[P_MICHEL_MAX] - par[P_E_MASS], 0.0)
        ux, uy, uz = isotropic(state)
        return _add(prod, n, -11.0 if pdg < 0 else 11.0, ux, uy, uz, ke, t, KIND_MICHEL, PR_DECAY)
    if pdg == 211.0 or pdg == 321.0:
        lifetime = par[P_PI_LIFETIME] if pdg == 211.0 else par[P_K_LIFETIME]
        return _decay(state, par, prod, n, pdg, mass, st, t0 + exponential(state, lifetime), 0.0, 0.0, 0.0)
    if pdg == -211.0 or pdg == -321.0:
        return _nuclear_blips(state, par, prod, n, t0, PR_CAPTURE_AT_REST, par[P_STAR_P_COUNT], par[P_STAR_P_MEAN])
    return n


@njit(cache=True, inline="always")
def _pi0_decay(state, par, prod, n, st):
    """π⁰ at its vertex: γγ (98.8 %) or γ e⁺e⁻ (the second photon split, Dalitz-like), §3.9, §4."""
    mass = par[P_PI0_MASS]
    energy = st[S_KE] + mass
    beta = math.sqrt(max(1.0 - (mass / energy) ** 2, 0.0))
    vx, vy, vz = beta * st[S_UX], beta * st[S_UY], beta * st[S_UZ]
    ux, uy, uz = isotropic(state)
    half = 0.5 * mass
    e1, p1x, p1y, p1z = boost(half, half * ux, half * uy, half * uz, vx, vy, vz)
    e2, p2x, p2y, p2z = boost(half, -half * ux, -half * uy, -half * uz, vx, vy, vz)
    n = _add_lab(prod, n, 22.0, 0.0, e1, p1x, p1y, p1z, st[S_T], KIND_SHOWER, PR_DECAY)
    me = par[P_E_MASS]
    if uniform(state) < par[P_PI0_GG] or e2 < 4.0 * me:
        return _add_lab(prod, n, 22.0, 0.0, e2, p2x, p2y, p2z, st[S_T], KIND_SHOWER, PR_DECAY)
    share = 2.0 * me / e2 + (1.0 - 4.0 * me / e2) * uniform(state)
    n = _add_lab(prod, n, 11.0, me, share * e2, p2x, p2y, p2z, st[S_T], KIND_SHOWER, PR_DECAY)
    return _add_lab(prod, n, -11.0, me, (1.0 - share) * e2, p2x, p2y, p2z, st[S_T], KIND_SHOWER, PR_DECAY)


@njit(cache=True)
def products(state, par, e, st, fate, prod):
    """Fill prod with what the particle of stack row e leaves at its end point st; returns the count."""
    pdg = e[K_PDG]
    mass = mass_MeV(par, int(abs(pdg)))
    n = np.int64(0)          # non-literal: numba compiles a callee once per literal argument
    if pdg == 111.0:
        return _pi0_decay(state, par, prod, n, st)
    if pdg == -11.0:     # positron annihilation at rest: two photons folded into the e+ row
        if fate != FATE_STOP:
            return 0
        ux, uy, uz = isotropic(state)
        kind = KIND_SHOWER if e[K_KIND] == KIND_SHOWER else KIND_LOW_ENERGY
        for i in range(2):
            sign = 1.0 - 2.0 * i
            _add(prod, np.int64(i), 22.0, sign * ux, sign * uy, sign * uz, mass, st[S_T], kind, PR_ANNIHIL)
            prod[i, Q_CREDIT] = FOLD
        return 2
    if fate == FATE_STOP:
        return _at_rest(state, par, prod, n, pdg, mass, st)
    if fate == FATE_INELASTIC:
        return _hadronic(state, par, prod, n, pdg, mass, st)
    if fate == FATE_DECAY:
        beta = math.sqrt(max(1.0 - (mass / (st[S_KE] + mass)) ** 2, 0.0))
        return _decay(state, par, prod, n, pdg, mass, st, st[S_T], beta * st[S_UX], beta * st[S_UY],
                      beta * st[S_UZ])
    return 0


@njit(cache=True, inline="always")
def elastic_turn(state, par, st, mass):
    """Turn the direction in st by a hadron-argon diffraction scatter, width ħc/(p R)."""
    p = math.sqrt(st[S_KE] * (st[S_KE] + 2.0 * mass))
    sigma = par[P_HBARC] / (max(p, 1.0) * par[P_NUCLEAR_RADIUS])
    st[S_UX], st[S_UY], st[S_UZ] = scatter(state, st[S_UX], st[S_UY], st[S_UZ], sigma)


@njit(cache=True, inline="always")
def is_elastic(par, channel):
    """Whether a π/K interaction channel number (uniform in [0, 1)) is the elastic remainder."""
    return channel >= par[P_PI_ABS] + par[P_PI_QE] + par[P_PI_CEX]
