"""Electromagnetic cascades in liquid argon: the stochastic cascade of lartpc-physics.md §4 (b).

Electrons and positrons lose energy continuously (Rohrlich-Carlson collision loss with Landau
fluctuations, §3.8), scatter (Highland), and radiate bremsstrahlung photons with a 1/k
spectrum (rate 1/X0 per unit ln k) above ``shower_cut_MeV``; softer photons are deposited
on the spot. Photons travel an exponential distance with the §4 attenuation length and then
Compton-scatter (Klein-Nishina) or convert to a pair (Bethe-Heitler energy sharing), with the
Compton share given by the Klein-Nishina cross section against the total attenuation.
Everything below ``shower_cut_MeV`` is deposited locally. Sub-particles are credited to the
table row of the particle that started the cascade; Compton blips below ``low_energy_deposit``
are labelled LOW_ENERGY, sub-particles of a Michel/δ/low-energy cascade too.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from argonet.sim.eloss_tables import (
    C_X0, C_XI_PER_CM, ELECTRON, O_CONST, POSITRON, dedx_MeV_per_cm, landau_mpv_MeV,
    photon_length_and_compton_share, range_cm, sample_energy_loss, scattering_sigma_rad)
from argonet.sim.transport_layout import (
    KIND_LOW_ENERGY, KIND_SHOWER, K_KIND, K_PDG, K_SEMANTIC, P_BOX, P_E_MASS, P_FLUCTUATIONS,
    P_LIGHT_SPEED, P_LOW_ENERGY, P_MCS, P_SHOWER_CUT, P_STEP, PR_ANNIHIL, PR_BREM, PR_COMPTON, PR_CONV,
    S_DISTANCE, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z, add_child, add_deposit)
from argonet.sim.vector_math import distance_to_exit, isotropic, rotate, scatter

#: Shortest electron step (cm) when the residual range gets small.
MIN_ELECTRON_STEP_CM = 0.01


@njit(cache=True, inline="always")
def sample_compton(rng, photon_MeV, electron_mass_MeV):
    """(ε = k'/k, cos θ) of a Klein-Nishina scatter (Butcher-Messel sampling)."""
    kappa = photon_MeV / electron_mass_MeV
    eps0 = 1.0 / (1.0 + 2.0 * kappa)
    eps0_sq = eps0 * eps0
    alpha1 = -np.log(eps0)
    alpha2 = alpha1 + 0.5 * (1.0 - eps0_sq)
    while True:
        if alpha1 > alpha2 * rng.random():
            eps = np.exp(-alpha1 * rng.random())
            eps_sq = eps * eps
        else:
            eps_sq = eps0_sq + (1.0 - eps0_sq) * rng.random()
            eps = np.sqrt(eps_sq)
        one_minus_cos = (1.0 - eps) / (eps * kappa)
        sin_sq = one_minus_cos * (2.0 - one_minus_cos)
        if rng.random() <= 1.0 - eps * sin_sq / (1.0 + eps_sq):
            return eps, 1.0 - one_minus_cos


@njit(cache=True, inline="always")
def sample_pair_fraction(rng, photon_MeV, electron_mass_MeV):
    """Energy fraction of the electron in a conversion, ∝ 1 - (4/3) x (1 - x) (complete screening)."""
    lo = electron_mass_MeV / photon_MeV
    while True:
        x = lo + (1.0 - 2.0 * lo) * rng.random()
        if rng.random() <= 1.0 - 4.0 / 3.0 * x * (1.0 - x):
            return x


@njit(cache=True, inline="always")
def _forward(rng, ux, uy, uz, energy_MeV, electron_mass_MeV):
    """A direction within ~m_e/E of u: emission angle of bremsstrahlung and pair leptons."""
    theta = electron_mass_MeV / energy_MeV * 0.5 * -np.log(rng.random() * rng.random() + 1e-300)
    return rotate(ux, uy, uz, np.cos(min(theta, np.pi)), 2.0 * np.pi * rng.random())


@njit(cache=True, inline="always")
def _local(dep, n, par, tab, st, electron_MeV, track, semantic, kind):
    """Deposit an electron's energy on the spot, over its CSDA range."""
    if electron_MeV <= 0.0:
        return dep, n
    species = ELECTRON
    dx = max(range_cm(tab, species, electron_MeV), 1e-4)
    dep = add_deposit(dep, n, st[S_X], st[S_Y], st[S_Z], st[S_T], electron_MeV, dx, track, semantic, kind)
    return dep, n + 1


@njit(cache=True)
def track_electron(rng, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Step one e± until it falls below the shower cut (then deposit it) or leaves the box."""
    positron = e[K_PDG] < 0
    species = POSITRON if positron else ELECTRON
    me, c, cut = par[P_E_MASS], par[P_LIGHT_SPEED], par[P_SHOWER_CUT]
    x0, xi_per_cm = tab[O_CONST + C_X0], tab[O_CONST + C_XI_PER_CM]
    box = par[P_BOX:P_BOX + 6]
    kind, semantic = e[K_KIND], e[K_SEMANTIC]
    child_kind = KIND_SHOWER if kind == KIND_SHOWER else KIND_LOW_ENERGY
    credit = float(track)
    ke = st[S_KE]
    exited = False
    while ke > cut:
        r = range_cm(tab, species, ke)
        s = min(par[P_STEP], max(0.2 * r, MIN_ELECTRON_STEP_CM), r)
        s_exit = distance_to_exit(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ])
        exited = s_exit <= s
        if exited:
            s = s_exit
        ke_mid = max(ke - 0.5 * dedx_MeV_per_cm(tab, species, ke) * s, 0.5 * ke)
        gamma = 1.0 + ke_mid / me
        beta2 = 1.0 - 1.0 / (gamma * gamma)
        collision = dedx_MeV_per_cm(tab, species, ke_mid) * s
        soft_brems = cut * s / x0
        if par[P_FLUCTUATIONS] > 0.0:
            xi = xi_per_cm * s / beta2
            tmax = ke_mid if positron else 0.5 * ke_mid
            collision = sample_energy_loss(rng, tab, collision, xi, landau_mpv_MeV(tab, species, ke_mid, xi),
                                           tmax, beta2)
        loss = min(collision + soft_brems, ke)
        left = ke - loss
        speed = np.sqrt(beta2) * c
        n_brems = rng.poisson(s * np.log(ke_mid / cut) / x0) if ke_mid > cut else 0
        for _ in range(n_brems):
            k = cut * np.exp(rng.random() * np.log(ke_mid / cut))
            if k >= left:
                continue
            left -= k
            f = rng.random() * s
            ux, uy, uz = _forward(rng, st[S_UX], st[S_UY], st[S_UZ], ke_mid + me, me)
            stk = add_child(stk, nstk, e, track, credit, 22.0, st[S_X] + f * st[S_UX], st[S_Y] + f * st[S_UY],
                            st[S_Z] + f * st[S_UZ], ux, uy, uz, k, st[S_T] + f / speed, child_kind, PR_BREM)
            nstk += 1
        if loss > 0.0:
            h = 0.5 * s
            dep = add_deposit(dep, ndep, st[S_X] + h * st[S_UX], st[S_Y] + h * st[S_UY], st[S_Z] + h * st[S_UZ],
                              st[S_T] + h / speed, loss, s, track, semantic, kind)
            ndep += 1
        st[S_X] += s * st[S_UX]
        st[S_Y] += s * st[S_UY]
        st[S_Z] += s * st[S_UZ]
        st[S_T] += s / speed
        st[S_DISTANCE] += s
        if par[P_MCS] > 0.0 and left > 0.0:
            p = np.sqrt(ke_mid * (ke_mid + 2.0 * me))
            sigma = scattering_sigma_rad(tab, p, np.sqrt(beta2), s)
            st[S_UX], st[S_UY], st[S_UZ] = scatter(rng, st[S_UX], st[S_UY], st[S_UZ], sigma)
        ke = left
        if exited:
            break
    st[S_KE] = ke
    if exited:
        return dep, ndep, stk, nstk
    dep, ndep = _local(dep, ndep, par, tab, st, ke, track, semantic, kind)
    st[S_KE] = 0.0
    if positron:   # annihilation at rest: two back-to-back photons
        ux, uy, uz = isotropic(rng)
        for sign in (1.0, -1.0):
            stk = add_child(stk, nstk, e, track, credit, 22.0, st[S_X], st[S_Y], st[S_Z], sign * ux, sign * uy,
                            sign * uz, me, st[S_T], child_kind, PR_ANNIHIL)
            nstk += 1
    return dep, ndep, stk, nstk


@njit(cache=True, inline="always")
def _convert(rng, par, e, track, st, k, stk, nstk, kind):
    """Pair conversion of a photon of energy k at st: push the e- and e+."""
    me = par[P_E_MASS]
    x = sample_pair_fraction(rng, k, me)
    for pdg, energy in ((11.0, x * k), (-11.0, (1.0 - x) * k)):
        ux, uy, uz = _forward(rng, st[S_UX], st[S_UY], st[S_UZ], energy, me)
        stk = add_child(stk, nstk, e, track, float(track), pdg, st[S_X], st[S_Y], st[S_Z], ux, uy, uz,
                        max(energy - me, 0.0), st[S_T], kind, PR_CONV)
        nstk += 1
    return stk, nstk


@njit(cache=True)
def track_photon(rng, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Follow a photon through Compton scatters until it converts, falls below the cut or leaves.

    On return st holds the photon's first interaction point (or its exit point): the end of
    its own table row; later scatters are credited to the same row.
    """
    me, c, cut, low = par[P_E_MASS], par[P_LIGHT_SPEED], par[P_SHOWER_CUT], par[P_LOW_ENERGY]
    box = par[P_BOX:P_BOX + 6]
    kind, semantic = e[K_KIND], e[K_SEMANTIC]
    k = st[S_KE]
    here = st.copy()         # the photon as it travels on; st keeps the first interaction
    first = True
    while True:
        if k <= cut:
            blip_kind = KIND_LOW_ENERGY if k < low else kind
            dep, ndep = _local(dep, ndep, par, tab, here, k, track, semantic, blip_kind)
            break
        length, compton_share = photon_length_and_compton_share(tab, k)
        d = rng.exponential(length)
        s_exit = distance_to_exit(box, here[S_X], here[S_Y], here[S_Z], here[S_UX], here[S_UY], here[S_UZ])
        gone = d >= s_exit
        d = min(d, s_exit)
        here[S_X] += d * here[S_UX]
        here[S_Y] += d * here[S_UY]
        here[S_Z] += d * here[S_UZ]
        here[S_T] += d / c
        here[S_DISTANCE] += d
        if first:
            st[:] = here
            first = False
        if gone:
            break
        if rng.random() >= compton_share:
            stk, nstk = _convert(rng, par, e, track, here, k, stk, nstk, kind)
            break
        eps, cos_theta = sample_compton(rng, k, me)
        ux, uy, uz = rotate(here[S_UX], here[S_UY], here[S_UZ], cos_theta, 2.0 * np.pi * rng.random())
        electron = k * (1.0 - eps)
        px = k * here[S_UX] - eps * k * ux
        py = k * here[S_UY] - eps * k * uy
        pz = k * here[S_UZ] - eps * k * uz
        p = np.sqrt(px * px + py * py + pz * pz)
        blip_kind = KIND_LOW_ENERGY if electron < low else kind
        if electron <= cut or p <= 0.0:
            dep, ndep = _local(dep, ndep, par, tab, here, electron, track, semantic, blip_kind)
        else:
            stk = add_child(stk, nstk, e, track, float(track), 11.0, here[S_X], here[S_Y], here[S_Z], px / p,
                            py / p, pz / p, electron, here[S_T], blip_kind, PR_COMPTON)
            nstk += 1
        k *= eps
        here[S_UX], here[S_UY], here[S_UZ] = ux, uy, uz
    st[S_KE] = k
    return dep, ndep, stk, nstk
