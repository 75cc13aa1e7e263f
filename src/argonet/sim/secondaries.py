"""What heavy charged particles leave behind: decays, captures and hadronic interactions.

Recipes of lartpc-physics.md §3.9-§3.10 and §4 (π⁰ → γγ), as compiled kernels that push
the products onto the particle stack. Lifetimes ns, energies MeV, lengths cm.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from argonet.sim.transport_layout import (
    FATE_DECAY, FATE_INELASTIC, FATE_STOP, KIND_LOW_ENERGY, KIND_MICHEL, KIND_SHOWER, KIND_TRACK, K_KE,
    K_PDG, OWN_ROW, P_CAPTURE_GAMMA_COUNT, P_CAPTURE_GAMMA_MEAN, P_E_MASS, P_HBARC, P_K_LIFETIME, P_K_MASS, P_K_MU_NU,
    P_MICHEL_MAX, P_MU_CAPTURE, P_MU_LIFETIME, P_MU_MASS, P_MU_MINUS_LIFETIME, P_N_MASS, P_NUCLEAR_RADIUS,
    P_P_KEEP_MAX, P_P_KEEP_MIN, P_P_MASS, P_P_MAX_ANGLE, P_PI0_GG, P_PI0_MASS, P_PI_ABS, P_PI_CEX,
    P_PI_LIFETIME, P_PI_MASS, P_PI_QE, P_REMOVAL, P_STAR_P_COUNT, P_STAR_P_MEAN, PR_CAPTURE_AT_REST,
    PR_DECAY, PR_KM_INELASTIC, PR_KP_INELASTIC, PR_MU_CAPTURE, PR_P_INELASTIC, PR_PIM_INELASTIC,
    PR_PIP_INELASTIC, S_CHANNEL, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z, add_child)
from argonet.sim.vector_math import boost, isotropic, rotate, scatter, two_body_momentum


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


@njit(cache=True, inline="always")
def _push(stk, n, parent, track, st, pdg, ux, uy, uz, ke_MeV, t_ns, kind, process):
    """Push an own-row product created at the end point of the parent (st)."""
    stk = add_child(stk, n, parent, track, OWN_ROW, pdg, st[S_X], st[S_Y], st[S_Z], ux, uy, uz, ke_MeV, t_ns,
                    kind, process)
    return stk, n + 1


@njit(cache=True, inline="always")
def _push_lab(stk, n, parent, track, st, pdg, mass, energy, px, py, pz, t_ns, kind, process):
    """Push a product given its lab 4-momentum."""
    p = np.sqrt(px * px + py * py + pz * pz)
    if p <= 0.0:
        return _push(stk, n, parent, track, st, pdg, 0.0, 0.0, 1.0, max(energy - mass, 0.0), t_ns, kind, process)
    return _push(stk, n, parent, track, st, pdg, px / p, py / p, pz / p, max(energy - mass, 0.0), t_ns, kind, process)


@njit(cache=True)
def _two_body(rng, stk, n, parent, track, st, mass, velocity, pdg1, m1, pdg2, m2, t_ns, kind, process):
    """Isotropic two-body decay of a particle moving with velocity (3-tuple, c); neutrinos dropped."""
    p = two_body_momentum(mass, m1, m2)
    ux, uy, uz = isotropic(rng)
    for pdg, m, sign in ((pdg1, m1, 1.0), (pdg2, m2, -1.0)):
        if pdg == 0.0:
            continue
        e, px, py, pz = boost(np.sqrt(p * p + m * m), sign * p * ux, sign * p * uy, sign * p * uz,
                              velocity[0], velocity[1], velocity[2])
        stk, n = _push_lab(stk, n, parent, track, st, pdg, m, e, px, py, pz, t_ns, kind, process)
    return stk, n


@njit(cache=True, inline="always")
def sample_michel_fraction(rng):
    """x = E_e/E_max from the Michel spectrum 6x² - 4x³ (§3.9), by rejection."""
    while True:
        x = rng.random()
        if 2.0 * rng.random() <= x * x * (6.0 - 4.0 * x):
            return x


@njit(cache=True, inline="always")
def _michel(rng, par, stk, n, parent, track, st, pdg, t_ns):
    """Decay electron (pdg ±11) of a muon at rest, isotropic."""
    ke = max(sample_michel_fraction(rng) * par[P_MICHEL_MAX] - par[P_E_MASS], 0.0)
    ux, uy, uz = isotropic(rng)
    return _push(stk, n, parent, track, st, pdg, ux, uy, uz, ke, t_ns, KIND_MICHEL, PR_DECAY)


@njit(cache=True)
def _nuclear_products(rng, par, stk, n, parent, track, st, t_ns, process, max_protons, proton_mean_MeV):
    """De-excitation photons and slow protons of a nuclear capture (few-MeV blips, §3.9)."""
    n_gamma = 1 + int(rng.random() * par[P_CAPTURE_GAMMA_COUNT])
    for _ in range(n_gamma):
        ux, uy, uz = isotropic(rng)
        stk, n = _push(stk, n, parent, track, st, 22.0, ux, uy, uz, rng.exponential(par[P_CAPTURE_GAMMA_MEAN]),
                       t_ns, KIND_LOW_ENERGY, process)
    n_proton = int(rng.random() * (max_protons + 1.0))
    for _ in range(n_proton):
        ux, uy, uz = isotropic(rng)
        stk, n = _push(stk, n, parent, track, st, 2212.0, ux, uy, uz, rng.exponential(proton_mean_MeV),
                       t_ns, KIND_TRACK, process)
    return stk, n


@njit(cache=True)
def _at_rest(rng, par, stk, n, parent, track, st):
    """Decay or nuclear capture of a stopped mu, pi or K (§3.9)."""
    pdg = int(parent[K_PDG])
    t0 = st[S_T]
    rest = (0.0, 0.0, 0.0)
    if pdg == -13:
        return _michel(rng, par, stk, n, parent, track, st, -11.0, t0 + rng.exponential(par[P_MU_LIFETIME]))
    if pdg == 13:
        t = t0 + rng.exponential(par[P_MU_MINUS_LIFETIME])
        if rng.random() < par[P_MU_CAPTURE]:
            return _nuclear_products(rng, par, stk, n, parent, track, st, t, PR_MU_CAPTURE, 0.0, 0.0)
        return _michel(rng, par, stk, n, parent, track, st, 11.0, t)
    if pdg == 211:
        t = t0 + rng.exponential(par[P_PI_LIFETIME])
        return _two_body(rng, stk, n, parent, track, st, par[P_PI_MASS], rest, -13.0, par[P_MU_MASS], 0.0, 0.0,
                         t, KIND_TRACK, PR_DECAY)
    if pdg == 321:
        return _kaon_decay(rng, par, stk, n, parent, track, st, rest, t0 + rng.exponential(par[P_K_LIFETIME]))
    if pdg == -211 or pdg == -321:
        return _nuclear_products(rng, par, stk, n, parent, track, st, t0, PR_CAPTURE_AT_REST,
                                 par[P_STAR_P_COUNT], par[P_STAR_P_MEAN])
    return stk, n


@njit(cache=True)
def _kaon_decay(rng, par, stk, n, parent, track, st, velocity, t_ns):
    """K± → μ±ν (63.6 %) or π±π⁰ (the remainder) at time t_ns, §3.9 'treat like pions'."""
    sign = 1.0 if parent[K_PDG] > 0 else -1.0
    if rng.random() < par[P_K_MU_NU]:
        return _two_body(rng, stk, n, parent, track, st, par[P_K_MASS], velocity, -13.0 * sign, par[P_MU_MASS],
                         0.0, 0.0, t_ns, KIND_TRACK, PR_DECAY)
    return _two_body(rng, stk, n, parent, track, st, par[P_K_MASS], velocity, 211.0 * sign, par[P_PI_MASS],
                     111.0, par[P_PI0_MASS], t_ns, KIND_TRACK, PR_DECAY)


@njit(cache=True, inline="always")
def _in_flight(rng, par, stk, n, parent, track, st):
    """Decay in flight of a π± (→ μν) or K± at the end point st."""
    pdg = int(parent[K_PDG])
    mass = mass_MeV(par, abs(pdg))
    energy = st[S_KE] + mass
    beta = np.sqrt(max(1.0 - (mass / energy) ** 2, 0.0))
    velocity = (beta * st[S_UX], beta * st[S_UY], beta * st[S_UZ])
    if abs(pdg) == 321:
        return _kaon_decay(rng, par, stk, n, parent, track, st, velocity, st[S_T])
    sign = 1.0 if pdg > 0 else -1.0
    return _two_body(rng, stk, n, parent, track, st, par[P_PI_MASS], velocity, -13.0 * sign, par[P_MU_MASS],
                     0.0, 0.0, st[S_T], KIND_TRACK, PR_DECAY)


@njit(cache=True, inline="always")
def _share(rng, stk, n, parent, track, st, pdg, count, ke_total, process):
    """count particles sharing ke_total (flat Dirichlet), isotropic."""
    weights = np.empty(count)
    for i in range(count):
        weights[i] = rng.exponential(1.0)
    weights /= weights.sum()
    for i in range(count):
        ux, uy, uz = isotropic(rng)
        stk, n = _push(stk, n, parent, track, st, pdg, ux, uy, uz, ke_total * weights[i], st[S_T],
                       KIND_TRACK, process)
    return stk, n


@njit(cache=True, inline="always")
def _deflected(rng, par, st):
    """Direction turned by up to the toy's maximum rescattering angle (cos θ uniform)."""
    cos_min = np.cos(par[P_P_MAX_ANGLE])
    return rotate(st[S_UX], st[S_UY], st[S_UZ], cos_min + (1.0 - cos_min) * rng.random(),
                  2.0 * np.pi * rng.random())


@njit(cache=True, inline="always")
def _knockout(rng, par, stk, n, parent, track, st, ke_lost, process):
    """The nucleon knocked out by a rescatter (p or n 50/50; neutrons are not tracked)."""
    ke = ke_lost - par[P_REMOVAL]
    if ke <= 0.0 or rng.random() < 0.5:
        return stk, n
    cos_theta = rng.random()
    ux, uy, uz = rotate(st[S_UX], st[S_UY], st[S_UZ], cos_theta, 2.0 * np.pi * rng.random())
    return _push(stk, n, parent, track, st, 2212.0, ux, uy, uz, ke, st[S_T], KIND_TRACK, process)


@njit(cache=True)
def _hadronic(rng, par, stk, n, parent, track, st):
    """Toy inelastic interaction in flight (§3.10): absorption, quasi-elastic, charge exchange."""
    pdg = int(parent[K_PDG])
    ke = st[S_KE]
    if pdg == 2212:
        keep = par[P_P_KEEP_MIN] + (par[P_P_KEEP_MAX] - par[P_P_KEEP_MIN]) * rng.random()
        ux, uy, uz = _deflected(rng, par, st)
        stk, n = _push(stk, n, parent, track, st, 2212.0, ux, uy, uz, keep * ke, st[S_T], KIND_TRACK, PR_P_INELASTIC)
        return _knockout(rng, par, stk, n, parent, track, st, (1.0 - keep) * ke, PR_P_INELASTIC)
    if abs(pdg) == 321:
        process = PR_KP_INELASTIC if pdg > 0 else PR_KM_INELASTIC
    else:
        process = PR_PIP_INELASTIC if pdg > 0 else PR_PIM_INELASTIC
    channel = st[S_CHANNEL]
    mass = mass_MeV(par, abs(pdg))
    if channel < par[P_PI_ABS]:
        available = ke + mass - par[P_REMOVAL]
        if available <= 0.0:
            return stk, n
        to_protons = available * (0.5 + 0.5 * rng.random())
        return _share(rng, stk, n, parent, track, st, 2212.0, 1 + int(3.0 * rng.random()), to_protons, process)
    if channel < par[P_PI_ABS] + par[P_PI_QE]:
        keep = par[P_P_KEEP_MIN] + (par[P_P_KEEP_MAX] - par[P_P_KEEP_MIN]) * rng.random()
        ux, uy, uz = _deflected(rng, par, st)
        stk, n = _push(stk, n, parent, track, st, parent[K_PDG], ux, uy, uz, keep * ke, st[S_T], KIND_TRACK, process)
        return _knockout(rng, par, stk, n, parent, track, st, (1.0 - keep) * ke, process)
    ux, uy, uz = _deflected(rng, par, st)
    return _push(stk, n, parent, track, st, 111.0, ux, uy, uz, ke, st[S_T], KIND_SHOWER, process)


@njit(cache=True, inline="always")
def elastic_sigma_rad(par, p_MeV):
    """Width of the projected hadron-argon diffraction angle, ħc/(p R)."""
    return par[P_HBARC] / (max(p_MeV, 1.0) * par[P_NUCLEAR_RADIUS])


@njit(cache=True, inline="always")
def elastic_turn(rng, par, st, mass):
    """Turn the direction in st by a hadron-nucleus elastic (diffraction) scatter."""
    p = np.sqrt(st[S_KE] * (st[S_KE] + 2.0 * mass))
    st[S_UX], st[S_UY], st[S_UZ] = scatter(rng, st[S_UX], st[S_UY], st[S_UZ], elastic_sigma_rad(par, p))


@njit(cache=True, inline="always")
def is_elastic(par, channel):
    """Whether a π/K interaction channel number (uniform in [0, 1)) is the elastic remainder."""
    return channel >= par[P_PI_ABS] + par[P_PI_QE] + par[P_PI_CEX]


@njit(cache=True)
def heavy_end(rng, par, stk, n, parent, track, st, fate):
    """Push the products of how a μ/π/K/p track ended (stopped, decayed, interacted)."""
    if fate == FATE_STOP:
        return _at_rest(rng, par, stk, n, parent, track, st)
    if fate == FATE_DECAY:
        return _in_flight(rng, par, stk, n, parent, track, st)
    if fate == FATE_INELASTIC:
        return _hadronic(rng, par, stk, n, parent, track, st)
    return stk, n


@njit(cache=True)
def pi0_decay(rng, par, stk, n, parent, track, st):
    """π⁰ at its vertex: γγ (98.8 %) or a Dalitz-like γ e⁺e⁻ (the second photon split), §3.9, §4."""
    mass = par[P_PI0_MASS]
    energy = parent[K_KE] + mass
    beta = np.sqrt(max(1.0 - (mass / energy) ** 2, 0.0))
    vx, vy, vz = beta * st[S_UX], beta * st[S_UY], beta * st[S_UZ]
    ux, uy, uz = isotropic(rng)
    half = 0.5 * mass
    e1, p1x, p1y, p1z = boost(half, half * ux, half * uy, half * uz, vx, vy, vz)
    e2, p2x, p2y, p2z = boost(half, -half * ux, -half * uy, -half * uz, vx, vy, vz)
    t = st[S_T]
    stk, n = _push_lab(stk, n, parent, track, st, 22.0, 0.0, e1, p1x, p1y, p1z, t, KIND_SHOWER, PR_DECAY)
    me = par[P_E_MASS]
    if rng.random() < par[P_PI0_GG] or e2 < 4.0 * me:
        return _push_lab(stk, n, parent, track, st, 22.0, 0.0, e2, p2x, p2y, p2z, t, KIND_SHOWER, PR_DECAY)
    share = 2.0 * me / e2 + (1.0 - 4.0 * me / e2) * rng.random()
    for pdg, e_lepton in ((11.0, share * e2), (-11.0, (1.0 - share) * e2)):
        stk, n = _push_lab(stk, n, parent, track, st, pdg, me, e_lepton, p2x, p2y, p2z, t, KIND_SHOWER, PR_DECAY)
    return stk, n
