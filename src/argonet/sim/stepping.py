"""Stepping of charged particles (μ, π, K, p, e±) through liquid argon, compiled with numba.

Each step (``step_cm``, at most 20 % of the residual range, ≤ 0.1 cm in the last cm) takes its
mean loss from the CSDA range table, so the mean range is exact whatever the step; the loss is
fluctuated (Landau with the PDG MPV, or Gaussian, §3.5); heavy particles emit δ-rays above
``delta_ray_cut_MeV`` (§3.6) and e± bremsstrahlung photons (§4); the direction scatters
(Highland, §3.7). π and K may decay in flight, π, K and p interact (§3.10 toy).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from argonet.sim.draws import exponential, poisson
from argonet.sim.eloss_tables import (
    C_LN_KE_MIN, C_LN_KE_STEP, C_MASS, C_X0, C_XI_PER_CM, ELECTRON, KAON, MUON, N_KE, O_CONST, PION, POSITRON,
    PROTON, dedx_MeV_per_cm, delta_ray_dedx_MeV_per_cm, delta_ray_rate_per_cm, ke_from_range, landau_mpv_MeV,
    range_cm, sample_delta_ray_MeV, sample_energy_loss, scattering_sigma_rad)
from argonet.sim.secondaries import elastic_turn, is_elastic
from argonet.sim.showers import deposit_locally, emit_brems
from argonet.sim.transport_layout import (
    FATE_DECAY, FATE_EXIT, FATE_INELASTIC, FATE_STOP, KIND_DELTA, K_KIND, K_PDG, K_SEMANTIC, OWN_ROW,
    PR_H_IONI, PR_MU_IONI, P_BOX, P_DELTA_CUT, P_DELTA_RAYS, P_E_MASS, P_FLUCTUATIONS, P_HADRONIC,
    P_HAD_THRESHOLD, P_K_LIFETIME, P_LIGHT_SPEED, P_MCS, P_PI_LAMBDA, P_PI_LIFETIME, P_P_LAMBDA, P_SHOWER_CUT,
    P_STEP, S_CHANNEL, S_DISTANCE, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z, add_child, add_deposit)
from argonet.sim.vector_math import distance_to_exit, rotate, scatter
from argonet.sim.xoshiro import uniform

#: Below this residual range (cm) a heavy track deposits what is left in one last step.
FINAL_RANGE_CM = 0.02
#: Within this residual range (cm) steps are at most FINE_STEP_CM.
FINE_RANGE_CM, FINE_STEP_CM = 1.0, 0.1
#: Steps never exceed this fraction of the residual range.
RANGE_FRACTION = 0.2
#: Shortest step (cm): keeps the Landau width of a step positive.
MIN_STEP_CM = 1e-7


@njit(cache=True, inline="always")
def _species(pdg):
    """Row of the loss tables for a charged particle."""
    abs_pdg = abs(pdg)
    if abs_pdg == 13.0:
        return MUON
    if abs_pdg == 211.0:
        return PION
    if abs_pdg == 321.0:
        return KAON
    if abs_pdg == 2212.0:
        return PROTON
    return POSITRON if pdg < 0 else ELECTRON


@njit(cache=True, inline="always")
def _step_length(par, residual_cm):
    """Step for a residual range: step_cm, at most 20 % of the range, ≤ 0.1 cm in the last cm."""
    s = min(par[P_STEP], RANGE_FRACTION * residual_cm)
    if residual_cm <= FINE_RANGE_CM:
        s = min(s, FINE_STEP_CM)
    return s


@njit(cache=True)
def _emit_delta_rays(state, par, e, track, st, s, count, ke_mid, mass, beta2, wmax, budget, speed, stk, nstk):
    """count knock-on electrons above the cut along the step that ends at st (§3.6); returns the energy left."""
    me, cut = par[P_E_MASS], par[P_DELTA_CUT]
    process = PR_MU_IONI if abs(e[K_PDG]) == 13.0 else PR_H_IONI
    p = math.sqrt(ke_mid * (ke_mid + 2.0 * mass))
    for _ in range(count):
        t_delta = sample_delta_ray_MeV(state, beta2, wmax, cut)
        if t_delta >= budget:
            continue
        budget -= t_delta
        cos_theta = min(1.0, t_delta / math.sqrt(t_delta * (t_delta + 2.0 * me)) * (ke_mid + mass + me) / p)
        ux, uy, uz = rotate(st[S_UX], st[S_UY], st[S_UZ], cos_theta, 2.0 * math.pi * uniform(state))
        back = uniform(state) * s
        stk = add_child(stk, nstk, e, track, OWN_ROW, 11.0, st[S_X] - back * st[S_UX], st[S_Y] - back * st[S_UY],
                        st[S_Z] - back * st[S_UZ], ux, uy, uz, t_delta, st[S_T] - back / speed, KIND_DELTA, process)
        nstk += 1
    return budget, stk, nstk


@njit(cache=True, inline="always")
def _budgets(state, par, pdg):
    """(path in cm before a hadronic interaction, proper time in ns before a decay in flight)."""
    abs_pdg = abs(pdg)
    had = np.inf
    if par[P_HADRONIC] > 0.0 and (abs_pdg == 211.0 or abs_pdg == 321.0 or abs_pdg == 2212.0):
        had = exponential(state, par[P_P_LAMBDA] if abs_pdg == 2212.0 else par[P_PI_LAMBDA])
    decay = np.inf
    if abs_pdg == 211.0 or abs_pdg == 321.0:
        decay = exponential(state, par[P_PI_LIFETIME] if abs_pdg == 211.0 else par[P_K_LIFETIME])
    return had, decay


@njit(cache=True, inline="always")
def move(st, s, speed):
    """Advance the tracked state by a straight step of s cm."""
    st[S_X] += s * st[S_UX]
    st[S_Y] += s * st[S_UY]
    st[S_Z] += s * st[S_UZ]
    st[S_T] += s / speed
    st[S_DISTANCE] += s


@njit(cache=True)
def track_charged(state, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Step a μ, π, K, p or e± until it stops, leaves the box, interacts or decays (returns the fate).

    Mean loss per step from the CSDA range table (exact for any step), fluctuated (§3.5);
    heavy particles emit δ-rays above the cut (§3.6), e± bremsstrahlung photons (§4).
    """
    pdg = e[K_PDG]
    electron = abs(pdg) == 11.0
    species = _species(pdg)
    mass = tab[O_CONST + C_MASS + species]
    me, c, xi_per_cm, x0 = par[P_E_MASS], par[P_LIGHT_SPEED], tab[O_CONST + C_XI_PER_CM], tab[O_CONST + C_X0]
    box = par[P_BOX:P_BOX + 6]
    kind, semantic = e[K_KIND], e[K_SEMANTIC]
    fluctuations, delta_cut, em_cut = par[P_FLUCTUATIONS] > 0.0, par[P_DELTA_CUT], par[P_SHOWER_CUT]
    delta_rays = par[P_DELTA_RAYS] > 0.0 and not electron
    had_left, decay_left = _budgets(state, par, pdg)
    ke_top = math.exp(tab[O_CONST + C_LN_KE_MIN] + (N_KE - 1) * tab[O_CONST + C_LN_KE_STEP])
    ke = st[S_KE]
    while True:
        residual = range_cm(tab, species, ke)
        if ke <= em_cut if electron else residual <= FINAL_RANGE_CM:
            if electron:
                dep, ndep = deposit_locally(tab, dep, ndep, st, ke, track, semantic, kind)
            else:
                s = min(residual, distance_to_exit(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ]))
                dep, ndep = _deposit_rest(dep, ndep, st, ke, s, residual, track, semantic, kind)
                move(st, s, c)
            st[S_KE] = 0.0
            return dep, ndep, stk, nstk, FATE_STOP
        s = _step_length(par, residual)
        fate = FATE_STOP
        if ke > par[P_HAD_THRESHOLD] and had_left < s:
            s, fate = had_left, FATE_INELASTIC
        gamma = 1.0 + ke / mass
        if decay_left * math.sqrt(gamma * gamma - 1.0) * c < s:
            s, fate = decay_left * math.sqrt(gamma * gamma - 1.0) * c, FATE_DECAY
        exit_s = distance_to_exit(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ])
        if exit_s <= s:
            s, fate = exit_s, FATE_EXIT
        if s <= MIN_STEP_CM:           # on the surface moving out, or an interaction right here
            if fate == FATE_EXIT:
                return dep, ndep, stk, nstk, fate
            s = MIN_STEP_CM
        if ke >= ke_top:                                   # beyond the tables: local stopping power
            mean = dedx_MeV_per_cm(tab, species, ke) * s
        else:
            mean = ke - ke_from_range(tab, species, residual - s) if s < residual else ke
        ke_mid = ke - 0.5 * mean
        gamma = 1.0 + ke_mid / mass
        bg2 = gamma * gamma - 1.0
        beta2 = bg2 / (gamma * gamma)
        ratio = me / mass
        wmax = 2.0 * me * bg2 / (1.0 + 2.0 * gamma * ratio + ratio * ratio)
        if electron:
            wmax = ke_mid if pdg < 0 else 0.5 * ke_mid      # Bhabha / Møller
        continuous, tmax = mean, wmax
        if delta_rays and wmax > delta_cut:
            continuous = max(mean - s * delta_ray_dedx_MeV_per_cm(tab, beta2, wmax, delta_cut), 0.0)
            tmax = delta_cut
        loss = continuous
        if fluctuations:
            xi = xi_per_cm * s / beta2
            mpv = landau_mpv_MeV(tab, species, ke_mid, xi)
            loss = sample_energy_loss(state, tab, continuous, xi, mpv, tmax, beta2)
        if electron:
            loss += em_cut * s / x0                         # bremsstrahlung below the cut, on the spot
        loss = min(loss, ke)
        speed = math.sqrt(beta2) * c
        if loss > 0.0:
            h = 0.5 * s
            dep = add_deposit(dep, ndep, st[S_X] + h * st[S_UX], st[S_Y] + h * st[S_UY], st[S_Z] + h * st[S_UZ],
                              st[S_T] + h / speed, loss, s, track, semantic, kind)
            ndep += 1
        move(st, s, speed)
        ke -= loss
        if electron and ke_mid > em_cut:
            count = poisson(state, s * math.log(ke_mid / em_cut) / x0)     # 1/X0 per unit ln k
            if count > 0:
                ke, stk, nstk = emit_brems(state, par, e, track, st, s, count, ke_mid, ke, speed, stk, nstk)
        elif delta_rays and wmax > delta_cut:
            count = poisson(state, s * delta_ray_rate_per_cm(tab, beta2, wmax, delta_cut))
            if count > 0:
                ke, stk, nstk = _emit_delta_rays(state, par, e, track, st, s, count, ke_mid, mass, beta2, wmax,
                                                 ke, speed, stk, nstk)
        if ke > par[P_HAD_THRESHOLD]:
            had_left -= s
        decay_left -= s / (math.sqrt(bg2) * c)
        if par[P_MCS] > 0.0 and ke > 0.0:
            sigma = scattering_sigma_rad(tab, math.sqrt(bg2) * mass, math.sqrt(beta2), s)
            st[S_UX], st[S_UY], st[S_UZ] = scatter(state, st[S_UX], st[S_UY], st[S_UZ], sigma)
        st[S_KE] = ke
        if fate == FATE_INELASTIC:
            st[S_CHANNEL] = uniform(state)
            if pdg == 2212.0 or not is_elastic(par, st[S_CHANNEL]):
                return dep, ndep, stk, nstk, fate
            elastic_turn(state, par, st, mass)
            had_left = exponential(state, par[P_PI_LAMBDA])
        elif fate != FATE_STOP:
            return dep, ndep, stk, nstk, fate


@njit(cache=True, inline="always")
def _deposit_rest(dep, ndep, st, ke, s, residual, track, semantic, kind):
    """The last piece of a heavy track: all that is left, over its residual range."""
    if ke <= 0.0:
        return dep, ndep
    h = 0.5 * s
    dep = add_deposit(dep, ndep, st[S_X] + h * st[S_UX], st[S_Y] + h * st[S_UY], st[S_Z] + h * st[S_UZ], st[S_T],
                      ke, max(residual, 1e-4), track, semantic, kind)
    return dep, ndep + 1
