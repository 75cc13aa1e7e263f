"""Electromagnetic cascades in liquid argon: the stochastic cascade of lartpc-physics.md §4 (b).

Electrons and positrons are stepped by transport's charged-particle stepper with their
collision loss (Rohrlich-Carlson, Landau fluctuations, §3.8) and Highland scattering; this
module adds what is particular to them and to photons:

* bremsstrahlung: photons with a 1/k spectrum, 1/X0 per unit ln k, above ``shower_cut_MeV``;
  the softer part (cut/X0 per cm) is deposited along the step;
* photons travel an exponential distance with the §4 attenuation length, then Compton-scatter
  (Klein-Nishina; its share is the Klein-Nishina cross section against the total attenuation,
  so it dominates below ~10 MeV) or convert to a pair (Bethe-Heitler energy sharing);
* everything below ``shower_cut_MeV`` is deposited on the spot.

Sub-particles are folded into the table row of the particle that started the cascade.
Compton electrons below ``low_energy_deposit_MeV`` are labelled LOW_ENERGY (isolated blips);
sub-particles of Michel, δ-ray and low-energy cascades too.
"""

from __future__ import annotations

import math

from numba import njit

from argonet.sim.draws import exponential
from argonet.sim.eloss_tables import ELECTRON, photon_length_and_compton_share, range_cm
from argonet.sim.transport_layout import (
    KIND_LOW_ENERGY, KIND_SHOWER, K_KIND, K_SEMANTIC, PR_BREM, PR_COMPTON, PR_CONV, P_BOX, P_E_MASS,
    P_LIGHT_SPEED, P_LOW_ENERGY, P_SHOWER_CUT, S_DISTANCE, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z,
    add_child, add_deposit)
from argonet.sim.vector_math import distance_to_exit, rotate
from argonet.sim.xoshiro import uniform


@njit(cache=True, inline="always")
def sample_compton(state, photon_MeV, electron_mass_MeV):
    """(ε = k'/k, cos θ) of a Klein-Nishina scatter (Butcher-Messel sampling)."""
    kappa = photon_MeV / electron_mass_MeV
    eps0 = 1.0 / (1.0 + 2.0 * kappa)
    eps0_sq = eps0 * eps0
    alpha1 = -math.log(eps0)
    alpha2 = alpha1 + 0.5 * (1.0 - eps0_sq)
    while True:
        if alpha1 > alpha2 * uniform(state):
            eps = math.exp(-alpha1 * uniform(state))
            eps_sq = eps * eps
        else:
            eps_sq = eps0_sq + (1.0 - eps0_sq) * uniform(state)
            eps = math.sqrt(eps_sq)
        one_minus_cos = (1.0 - eps) / (eps * kappa)
        sin_sq = one_minus_cos * (2.0 - one_minus_cos)
        if uniform(state) <= 1.0 - eps * sin_sq / (1.0 + eps_sq):
            return eps, 1.0 - one_minus_cos


@njit(cache=True, inline="always")
def sample_pair_fraction(state, photon_MeV, electron_mass_MeV):
    """Energy fraction of the electron in a conversion, ∝ 1 - (4/3) x (1 - x) (complete screening)."""
    lo = electron_mass_MeV / photon_MeV
    while True:
        x = lo + (1.0 - 2.0 * lo) * uniform(state)
        if uniform(state) <= 1.0 - 4.0 / 3.0 * x * (1.0 - x):
            return x


@njit(cache=True)
def forward(state, ux, uy, uz, energy_MeV, electron_mass_MeV):
    """A direction about m_e/E away from u: emission angle of bremsstrahlung photons and pair leptons."""
    theta = electron_mass_MeV / energy_MeV * 0.5 * (exponential(state, 1.0) + exponential(state, 1.0))
    return rotate(ux, uy, uz, math.cos(min(theta, math.pi)), 2.0 * math.pi * uniform(state))


@njit(cache=True)
def deposit_locally(tab, dep, n, st, electron_MeV, track, semantic, kind):
    """Deposit an electron's energy where it is, over its CSDA range (dx for recombination)."""
    if electron_MeV <= 0.0:
        return dep, n
    dx = max(range_cm(tab, ELECTRON, electron_MeV), 1e-4)
    dep = add_deposit(dep, n, st[S_X], st[S_Y], st[S_Z], st[S_T], electron_MeV, dx, track, semantic, kind)
    return dep, n + 1


@njit(cache=True)
def emit_brems(state, par, e, track, st, s, count, ke_mid, budget, speed, stk, nstk):
    """count bremsstrahlung photons (1/k spectrum above the cut) along the step that ends at st;
    returns the energy left."""
    cut, me = par[P_SHOWER_CUT], par[P_E_MASS]
    kind = KIND_SHOWER if e[K_KIND] == KIND_SHOWER else KIND_LOW_ENERGY
    log_range = math.log(ke_mid / cut)
    for _ in range(count):
        k = cut * math.exp(uniform(state) * log_range)
        if k >= budget:
            continue
        budget -= k
        back = uniform(state) * s
        ux, uy, uz = forward(state, st[S_UX], st[S_UY], st[S_UZ], ke_mid + me, me)
        stk = add_child(stk, nstk, e, track, float(track), 22.0, st[S_X] - back * st[S_UX],
                        st[S_Y] - back * st[S_UY], st[S_Z] - back * st[S_UZ], ux, uy, uz, k,
                        st[S_T] - back / speed, kind, PR_BREM)
        nstk += 1
    return budget, stk, nstk


@njit(cache=True)
def track_photon(state, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Follow a photon through Compton scatters until it converts, falls below the cut or leaves.

    On return st holds the photon's first interaction point (or where it left the box): the
    end of its own table row; what follows is folded into the same row.
    """
    me, c, cut, low = par[P_E_MASS], par[P_LIGHT_SPEED], par[P_SHOWER_CUT], par[P_LOW_ENERGY]
    box = par[P_BOX:P_BOX + 6]
    kind, semantic = e[K_KIND], e[K_SEMANTIC]
    credit = float(track)
    k = st[S_KE]
    here = st.copy()         # the photon as it travels on; st keeps its first interaction
    first = True
    while k > cut:
        length, compton_share = photon_length_and_compton_share(tab, k)
        d = exponential(state, length)
        d_exit = distance_to_exit(box, here[S_X], here[S_Y], here[S_Z], here[S_UX], here[S_UY], here[S_UZ])
        gone = d >= d_exit
        d = min(d, d_exit)
        here[S_X] += d * here[S_UX]
        here[S_Y] += d * here[S_UY]
        here[S_Z] += d * here[S_UZ]
        here[S_T] += d / c
        here[S_DISTANCE] += d
        if first:
            for i in range(st.shape[0]):
                st[i] = here[i]
            first = False
        if gone:
            return dep, ndep, stk, nstk
        if uniform(state) >= compton_share:          # pair conversion
            x = sample_pair_fraction(state, k, me)
            for pdg, energy in ((11.0, x * k), (-11.0, (1.0 - x) * k)):
                ux, uy, uz = forward(state, here[S_UX], here[S_UY], here[S_UZ], energy, me)
                stk = add_child(stk, nstk, e, track, credit, pdg, here[S_X], here[S_Y], here[S_Z], ux, uy, uz,
                                max(energy - me, 0.0), here[S_T], kind, PR_CONV)
                nstk += 1
            return dep, ndep, stk, nstk
        eps, cos_theta = sample_compton(state, k, me)
        ux, uy, uz = rotate(here[S_UX], here[S_UY], here[S_UZ], cos_theta, 2.0 * math.pi * uniform(state))
        electron = k * (1.0 - eps)
        px, py, pz = k * here[S_UX] - eps * k * ux, k * here[S_UY] - eps * k * uy, k * here[S_UZ] - eps * k * uz
        p = math.sqrt(px * px + py * py + pz * pz)
        blip_kind = KIND_LOW_ENERGY if electron < low else kind
        if electron <= cut or p <= 0.0:
            dep, ndep = deposit_locally(tab, dep, ndep, here, electron, track, semantic, blip_kind)
        else:
            stk = add_child(stk, nstk, e, track, credit, 11.0, here[S_X], here[S_Y], here[S_Z], px / p, py / p,
                            pz / p, electron, here[S_T], blip_kind, PR_COMPTON)
            nstk += 1
        k *= eps
        here[S_UX], here[S_UY], here[S_UZ] = ux, uy, uz
    dep, ndep = deposit_locally(tab, dep, ndep, here, k, track, semantic, KIND_LOW_ENERGY if k < low else kind)
    return dep, ndep, stk, nstk
