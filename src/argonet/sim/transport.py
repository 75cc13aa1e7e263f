"""Particle transport: primaries in, energy deposits and a particle table out (§3-§4, §8.2).

Charged μ, π, K and p are stepped (``step_cm``, finer near the end of range: ≤ 0.1 cm in the
last cm) with the mean loss taken from the CSDA range table, Landau/Gaussian fluctuations,
explicit δ-rays above ``delta_ray_cut_MeV``, Highland scattering, π/K decay in flight and
the §3.10 toy hadronic interactions; at the end of a track ``secondaries`` decides what it
leaves behind. e± and γ start a stochastic cascade (``showers``); π⁰ decay at their vertex.
Deposits are made only inside the box [box_min_cm, box_max_cm]; particles leaving it stop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from argonet.conf.sim import PhysicsConfig
from argonet.errors import ConfigError, DataError
from argonet.event import PARTICLE_DTYPE, ParticleKind
from argonet.sim import physics
from argonet.sim.deposits import PRIMARY_DTYPE, Deposits
from argonet.sim.eloss_tables import (
    C_XI_PER_CM, KAON, MUON, O_CONST, PION, PROTON, TABLES, delta_ray_dedx_MeV_per_cm,
    delta_ray_rate_per_cm, ke_from_range, landau_mpv_MeV, range_cm, sample_delta_ray_MeV,
    sample_energy_loss, scattering_sigma_rad)
from argonet.sim.secondaries import elastic_turn, heavy_end, is_elastic, mass_MeV, pi0_decay
from argonet.sim.showers import track_electron, track_photon
from argonet.sim.transport_layout import (
    D_DE, D_DX, D_KIND, D_SEMANTIC, D_T, D_TRACK, D_X, D_Y, D_Z, FATE_DECAY, FATE_EXIT, FATE_INELASTIC,
    FATE_STOP, KIND_DELTA, K_ANCESTOR, K_ANCESTOR_PDG, K_CREDIT, K_KE, K_KIND, K_PARENT, K_PARENT_PDG,
    K_PDG, K_PROCESS, K_ROW, K_SEMANTIC, K_T, K_UX, K_UY, K_UZ, K_X, K_Y, K_Z, N_DEPOSIT_COLUMNS, N_ROW_COLUMNS,
    N_STACK_COLUMNS, N_STATE, OWN_ROW, P_BOX, P_DELTA_CUT, P_DELTA_RAYS, P_E_MASS, P_FLUCTUATIONS, P_HAD_THRESHOLD,
    P_HADRONIC, P_K_LIFETIME, P_LIGHT_SPEED, P_MCS, P_P_LAMBDA, P_PI_LAMBDA, P_PI_LIFETIME, P_STEP,
    PROCESSES, PR_H_IONI, PR_MU_IONI, PR_PRIMARY, R_ANCESTOR, R_ANCESTOR_PDG, R_DISTANCE, R_ENERGY, R_ET,
    R_EX, R_EY, R_EZ, R_KIND, R_PARENT, R_PARENT_PDG, R_PDG, R_PROCESS, R_PX, R_PY, R_PZ, R_SEMANTIC, R_ST,
    R_SX, R_SY, R_SZ, R_TRACK, S_CHANNEL, S_DISTANCE, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z,
    add_child, add_deposit, make_params, reserve)
from argonet.sim.vector_math import distance_to_entry, distance_to_exit, rotate, scatter

#: Below this residual range (cm) a track deposits what is left in one last step.
FINAL_RANGE_CM = 0.02
#: Within this residual range (cm) steps are at most FINE_STEP_CM.
FINE_RANGE_CM, FINE_STEP_CM = 1.0, 0.1
#: Steps never exceed this fraction of the residual range.
RANGE_FRACTION = 0.2


@njit(cache=True, inline="always")
def _species(abs_pdg):
    """Row of the loss tables for a heavy charged particle."""
    if abs_pdg == 13:
        return MUON
    if abs_pdg == 211:
        return PION
    if abs_pdg == 321:
        return KAON
    return PROTON


@njit(cache=True, inline="always")
def _step_length(par, residual_cm):
    """Step for a residual range: step_cm, ≤ 20 % of the range, ≤ 0.1 cm in the last cm."""
    s = min(par[P_STEP], RANGE_FRACTION * residual_cm)
    if residual_cm <= FINE_RANGE_CM:
        s = min(s, FINE_STEP_CM)
    return s


@njit(cache=True, inline="always")
def _emit_delta_rays(rng, tab, par, e, track, st, s, ke_mid, mass, beta2, wmax, n_delta, budget, stk, nstk):
    """Push n_delta knock-on electrons created along the step just taken; returns the energy left."""
    me = par[P_E_MASS]
    speed = np.sqrt(beta2) * par[P_LIGHT_SPEED]
    process = PR_MU_IONI if abs(e[K_PDG]) == 13 else PR_H_IONI
    p = np.sqrt(ke_mid * (ke_mid + 2.0 * mass))
    for _ in range(n_delta):
        t_delta = sample_delta_ray_MeV(rng, beta2, wmax, par[P_DELTA_CUT])
        if t_delta >= budget:
            continue
        budget -= t_delta
        cos_theta = min(1.0, t_delta / np.sqrt(t_delta * (t_delta + 2.0 * me)) * (ke_mid + mass + me) / p)
        ux, uy, uz = rotate(st[S_UX], st[S_UY], st[S_UZ], cos_theta, 2.0 * np.pi * rng.random())
        back = rng.random() * s        # created somewhere along the step that ends at st
        stk = add_child(stk, nstk, e, track, OWN_ROW, 11.0, st[S_X] - back * st[S_UX], st[S_Y] - back * st[S_UY],
                        st[S_Z] - back * st[S_UZ], ux, uy, uz, t_delta, st[S_T] - back / speed, KIND_DELTA,
                        process)
        nstk += 1
    return budget, stk, nstk


@njit(cache=True, inline="always")
def _interaction_budgets(rng, par, abs_pdg):
    """(path in cm before a hadronic interaction, proper time in ns before a decay in flight)."""
    had = np.inf
    if par[P_HADRONIC] > 0.0 and abs_pdg != 13:
        had = rng.exponential(par[P_P_LAMBDA] if abs_pdg == 2212 else par[P_PI_LAMBDA])
    decay = np.inf
    if abs_pdg == 211:
        decay = rng.exponential(par[P_PI_LIFETIME])
    elif abs_pdg == 321:
        decay = rng.exponential(par[P_K_LIFETIME])
    return had, decay


@njit(cache=True)
def _track_heavy(rng, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Step a μ/π/K/p until it stops, leaves the box, interacts or decays; returns the fate too."""
    abs_pdg = int(abs(e[K_PDG]))
    species = _species(abs_pdg)
    mass = mass_MeV(par, abs_pdg)
    me, xi_per_cm, c = par[P_E_MASS], tab[O_CONST + C_XI_PER_CM], par[P_LIGHT_SPEED]
    box = par[P_BOX:P_BOX + 6]
    kind, semantic = e[K_KIND], e[K_SEMANTIC]
    fluctuations, delta_rays, cut = par[P_FLUCTUATIONS] > 0.0, par[P_DELTA_RAYS] > 0.0, par[P_DELTA_CUT]
    had_left, decay_left = _interaction_budgets(rng, par, abs_pdg)
    threshold = par[P_HAD_THRESHOLD]
    ke = st[S_KE]
    while True:
        residual = range_cm(tab, species, ke)
        if residual <= FINAL_RANGE_CM:
            s = min(residual, distance_to_exit(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ]))
            if ke > 0.0:
                h = 0.5 * s
                dep = add_deposit(dep, ndep, st[S_X] + h * st[S_UX], st[S_Y] + h * st[S_UY],
                                  st[S_Z] + h * st[S_UZ], st[S_T], ke, max(residual, 1e-4), track, semantic, kind)
                ndep += 1
            st[S_X] += s * st[S_UX]
            st[S_Y] += s * st[S_UY]
            st[S_Z] += s * st[S_UZ]
            st[S_DISTANCE] += s
            st[S_KE] = 0.0
            return dep, ndep, stk, nstk, FATE_STOP
        s = _step_length(par, residual)
        fate = FATE_STOP
        if ke > threshold and had_left < s:
            s, fate = had_left, FATE_INELASTIC
        gamma = 1.0 + ke / mass
        decay_s = decay_left * np.sqrt(gamma * gamma - 1.0) * c
        if decay_s < s:
            s, fate = decay_s, FATE_DECAY
        exit_s = distance_to_exit(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ])
        if exit_s <= s:
            s, fate = exit_s, FATE_EXIT
        mean = ke - ke_from_range(tab, species, residual - s) if s < residual else ke
        ke_mid = ke - 0.5 * mean
        gamma = 1.0 + ke_mid / mass
        bg2 = gamma * gamma - 1.0
        beta2 = bg2 / (gamma * gamma)
        ratio = me / mass
        wmax = 2.0 * me * bg2 / (1.0 + 2.0 * gamma * ratio + ratio * ratio)
        continuous, n_delta = mean, 0
        if delta_rays and wmax > cut:
            continuous = max(mean - s * delta_ray_dedx_MeV_per_cm(tab, beta2, wmax, cut), 0.0)
            n_delta = rng.poisson(s * delta_ray_rate_per_cm(tab, beta2, wmax, cut))
        loss = continuous
        if fluctuations:
            xi = xi_per_cm * s / beta2
            tmax = min(cut, wmax) if delta_rays else wmax
            loss = sample_energy_loss(rng, tab, continuous, xi, landau_mpv_MeV(tab, species, ke_mid, xi), tmax, beta2)
        loss = min(loss, ke)
        speed = np.sqrt(beta2) * c
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
        ke -= loss
        if n_delta > 0:
            ke, stk, nstk = _emit_delta_rays(rng, tab, par, e, track, st, s, ke_mid, mass, beta2, wmax, n_delta,
                                             ke, stk, nstk)
        if ke > threshold:
            had_left -= s
        decay_left -= s / (np.sqrt(bg2) * c)
        if par[P_MCS] > 0.0 and ke > 0.0:
            sigma = scattering_sigma_rad(tab, np.sqrt(bg2) * mass, np.sqrt(beta2), s)
            st[S_UX], st[S_UY], st[S_UZ] = scatter(rng, st[S_UX], st[S_UY], st[S_UZ], sigma)
        st[S_KE] = ke
        if fate == FATE_INELASTIC:
            st[S_CHANNEL] = rng.random()
            if abs_pdg == 2212 or not is_elastic(par, st[S_CHANNEL]):
                return dep, ndep, stk, nstk, fate
            elastic_turn(rng, par, st, mass)
            had_left = rng.exponential(par[P_PI_LAMBDA])
        elif fate != FATE_STOP:
            return dep, ndep, stk, nstk, fate


@njit(cache=True, inline="always")
def _open_row(row, e, track, mass):
    """Fill the start of a table row from a stack entry."""
    p = np.sqrt(e[K_KE] * (e[K_KE] + 2.0 * mass))
    row[R_TRACK], row[R_PARENT], row[R_ANCESTOR] = track, e[K_PARENT], e[K_ANCESTOR]
    row[R_PDG], row[R_PARENT_PDG], row[R_ANCESTOR_PDG] = e[K_PDG], e[K_PARENT_PDG], e[K_ANCESTOR_PDG]
    row[R_PX], row[R_PY], row[R_PZ] = p * e[K_UX], p * e[K_UY], p * e[K_UZ]
    row[R_ENERGY] = e[K_KE] + mass
    row[R_SX], row[R_SY], row[R_SZ], row[R_ST] = e[K_X], e[K_Y], e[K_Z], e[K_T]
    row[R_SEMANTIC], row[R_KIND], row[R_PROCESS] = e[K_SEMANTIC], e[K_KIND], e[K_PROCESS]


@njit(cache=True, inline="always")
def _close_row(row, st):
    """Fill the end of a table row from the tracked state."""
    row[R_EX], row[R_EY], row[R_EZ], row[R_ET] = st[S_X], st[S_Y], st[S_Z], st[S_T]
    row[R_DISTANCE] = st[S_DISTANCE]


@njit(cache=True, inline="always")
def _enter_box(par, st, mass):
    """Move a particle that starts outside the box to where it enters; False if it never does."""
    box = par[P_BOX:P_BOX + 6]
    d = distance_to_entry(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ])
    if d < 0.0:
        return False
    if d > 0.0:
        energy = st[S_KE] + mass
        beta = np.sqrt(max(1.0 - (mass / energy) ** 2, 1e-12)) if energy > 0.0 else 1.0
        st[S_X] += d * st[S_UX]
        st[S_Y] += d * st[S_UY]
        st[S_Z] += d * st[S_UZ]
        st[S_T] += d / (beta * par[P_LIGHT_SPEED])
    return True


@njit(cache=True, inline="always")
def _track_one(rng, tab, par, e, track, st, dep, ndep, stk, nstk):
    """Dispatch one particle to its transport; neutrons, neutrinos and unknowns are not tracked."""
    pdg = int(e[K_PDG])
    abs_pdg = abs(pdg)
    if pdg == 111:
        stk, nstk = pi0_decay(rng, par, stk, nstk, e, track, st)
        return dep, ndep, stk, nstk
    heavy = abs_pdg == 13 or abs_pdg == 211 or abs_pdg == 321 or abs_pdg == 2212
    if not (heavy or abs_pdg == 11 or pdg == 22):
        return dep, ndep, stk, nstk
    if not _enter_box(par, st, mass_MeV(par, abs_pdg)):
        return dep, ndep, stk, nstk
    if heavy:
        dep, ndep, stk, nstk, fate = _track_heavy(rng, tab, par, e, track, st, dep, ndep, stk, nstk)
        stk, nstk = heavy_end(rng, par, stk, nstk, e, track, st, fate)
    elif abs_pdg == 11:
        dep, ndep, stk, nstk = track_electron(rng, tab, par, e, track, st, dep, ndep, stk, nstk)
    else:
        dep, ndep, stk, nstk = track_photon(rng, tab, par, e, track, st, dep, ndep, stk, nstk)
    return dep, ndep, stk, nstk


@njit(cache=True)
def _run(rng, tab, par, stk, nstk, first_track):
    """Track everything on the stack (last in, first out); returns (deposits, table rows).

    The primaries (stack rows 0..nstk-1, the first primary on top) get the first track ids.
    """
    dep = np.empty((4096, N_DEPOSIT_COLUMNS))
    rows = np.empty((max(64, 4 * nstk), N_ROW_COLUMNS))
    for i in range(nstk):
        e = stk[nstk - 1 - i]
        e[K_ANCESTOR], e[K_ROW] = first_track + i, i
        _open_row(rows[i], e, first_track + i, mass_MeV(par, int(abs(e[K_PDG]))))
    ndep, nrow = np.int64(0), nstk      # non-literal: numba would compile callees for Literal[0] too
    st = np.zeros(N_STATE)
    while nstk > 0:
        nstk -= 1
        e = stk[nstk].copy()
        row = int(e[K_ROW])
        if row < 0 and e[K_CREDIT] == OWN_ROW:
            row = nrow
            nrow += 1
            rows = reserve(rows, row)
            _open_row(rows[row], e, first_track + row, mass_MeV(par, int(abs(e[K_PDG]))))
        track = first_track + row if row >= 0 else int(e[K_CREDIT])
        st[S_X], st[S_Y], st[S_Z], st[S_T] = e[K_X], e[K_Y], e[K_Z], e[K_T]
        st[S_UX], st[S_UY], st[S_UZ], st[S_KE] = e[K_UX], e[K_UY], e[K_UZ], e[K_KE]
        st[S_DISTANCE], st[S_CHANNEL] = 0.0, 0.0
        dep, ndep, stk, nstk = _track_one(rng, tab, par, e, track, st, dep, ndep, stk, nstk)
        if row >= 0:
            _close_row(rows[row], st)
    return dep[:ndep], rows[:nrow]


def _primary_mass_MeV(pdg: int) -> float:
    """Rest mass of a primary (MeV); the particle package knows the ones transport does not track."""
    known = {13: physics.HEAVY_MASSES_MeV[13], 211: physics.HEAVY_MASSES_MeV[211],
             321: physics.HEAVY_MASSES_MeV[321], 2212: physics.HEAVY_MASSES_MeV[2212],
             11: physics.ELECTRON_MASS_MeV, 22: 0.0, 12: 0.0, 14: 0.0, 16: 0.0}
    if abs(pdg) in known:
        return known[abs(pdg)]
    from particle import Particle
    from particle.particle import ParticleNotFound
    try:
        mass = Particle.from_pdgid(pdg).mass
    except (ParticleNotFound, ValueError):
        raise DataError(f"primaries: unknown pdg code {pdg}") from None
    return float(mass or 0.0)


def _primary_stack(primaries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stack rows for the primaries (first primary on top) and their rest masses."""
    n = len(primaries)
    masses = np.array([_primary_mass_MeV(int(p)) for p in primaries["pdg"]], dtype=np.float64)
    momentum = np.stack([primaries["px_MeV"], primaries["py_MeV"], primaries["pz_MeV"]], axis=1)
    p = np.linalg.norm(momentum, axis=1)
    direction = np.where(p[:, None] > 0, momentum / np.where(p > 0, p, 1.0)[:, None], [0.0, 0.0, 1.0])
    stk = np.zeros((max(n, 16), N_STACK_COLUMNS))
    rows = stk[:n][::-1]
    rows[:, K_PDG] = primaries["pdg"]
    rows[:, K_X], rows[:, K_Y], rows[:, K_Z] = primaries["x_cm"], primaries["y_cm"], primaries["z_cm"]
    rows[:, K_UX:K_UZ + 1] = direction
    rows[:, K_KE] = np.sqrt(p**2 + masses**2) - masses
    rows[:, K_T] = primaries["t_ns"]
    rows[:, K_PARENT], rows[:, K_PARENT_PDG] = 0.0, 0.0
    rows[:, K_ANCESTOR], rows[:, K_ANCESTOR_PDG] = -1.0, primaries["pdg"]
    rows[:, K_CREDIT], rows[:, K_PROCESS], rows[:, K_ROW] = OWN_ROW, PR_PRIMARY, -1.0
    rows[:, K_SEMANTIC] = primaries["semantic"]
    rows[:, K_KIND] = [_primary_kind(int(p)) for p in primaries["pdg"]]
    return stk, masses


def _primary_kind(pdg: int) -> float:
    """Topology label of a primary: showers for e± and γ (and π⁰), tracks otherwise."""
    return float(ParticleKind.SHOWER if abs(pdg) == 11 or pdg in (22, 111) else ParticleKind.TRACK)


def _validate(primaries, box_min_cm, box_max_cm, first_track_id) -> None:
    """Raise a one-line error for unusable transport input."""
    if not isinstance(primaries, np.ndarray) or primaries.dtype != PRIMARY_DTYPE:
        raise DataError("primaries: expected a numpy array with argonet.sim.deposits.PRIMARY_DTYPE")
    if len(box_min_cm) != 3 or len(box_max_cm) != 3:
        raise ConfigError("box_min_cm/box_max_cm", "need three coordinates (x, y, z) in cm each")
    if not all(lo < hi for lo, hi in zip(box_min_cm, box_max_cm)):
        raise ConfigError("box_min_cm/box_max_cm", f"need min < max on every axis, got {box_min_cm} {box_max_cm}")
    if int(first_track_id) < 1:
        raise ConfigError("first_track_id", f"must be >= 1 (got {first_track_id})")
    numeric = [primaries[f] for f in ("px_MeV", "py_MeV", "pz_MeV", "x_cm", "y_cm", "z_cm", "t_ns")]
    if len(primaries) and not all(np.isfinite(a).all() for a in numeric):
        raise DataError("primaries: momenta, positions and times must be finite")


def _particle_table(rows: np.ndarray, deposits: Deposits, primaries: np.ndarray, masses: np.ndarray,
                    first_track_id: int) -> np.ndarray:
    """The PARTICLE_DTYPE table from the kernel's rows; primaries keep their exact input momenta."""
    table = np.zeros(len(rows), PARTICLE_DTYPE)
    for name, col in (("track_id", R_TRACK), ("parent_id", R_PARENT), ("ancestor_id", R_ANCESTOR),
                      ("pdg", R_PDG), ("parent_pdg", R_PARENT_PDG), ("ancestor_pdg", R_ANCESTOR_PDG),
                      ("px_MeV", R_PX), ("py_MeV", R_PY), ("pz_MeV", R_PZ), ("energy_init_MeV", R_ENERGY),
                      ("start_t_ns", R_ST), ("end_t_ns", R_ET), ("distance_cm", R_DISTANCE),
                      ("semantic", R_SEMANTIC), ("kind", R_KIND)):
        table[name] = rows[:, col]
    table["start_cm"] = rows[:, [R_SX, R_SY, R_SZ]]
    table["end_cm"] = rows[:, [R_EX, R_EY, R_EZ]]
    table["process"] = np.array(PROCESSES, dtype="S32")[rows[:, R_PROCESS].astype(np.int64)]
    n_tracks = len(rows)
    index = deposits.track_id.astype(np.int64) - first_track_id
    table["energy_deposit_MeV"] = np.bincount(index, weights=deposits.dE_MeV.astype(np.float64),
                                              minlength=n_tracks)[:n_tracks]
    n = len(primaries)          # primaries are the first n rows (first on top of the stack)
    for name in ("px_MeV", "py_MeV", "pz_MeV"):
        table[name][:n] = primaries[name]
    p2 = primaries["px_MeV"] ** 2 + primaries["py_MeV"] ** 2 + primaries["pz_MeV"] ** 2
    table["energy_init_MeV"][:n] = np.sqrt(p2 + masses**2)
    return table


def transport(primaries: np.ndarray, cfg: PhysicsConfig, rng: np.random.Generator,
              box_min_cm: tuple[float, float, float], box_max_cm: tuple[float, float, float],
              first_track_id: int = 1) -> tuple[Deposits, np.ndarray]:
    """Track primaries (PRIMARY_DTYPE) through liquid argon: (deposits, PARTICLE_DTYPE table).

    Same rng state gives identical output. Deposits lie inside the box; track ids start at
    first_track_id, primaries first in their input order.
    """
    _validate(primaries, box_min_cm, box_max_cm, first_track_id)
    stk, masses = _primary_stack(primaries)
    par = make_params(cfg, tuple(map(float, box_min_cm)), tuple(map(float, box_max_cm)))
    dep, rows = _run(rng, TABLES, par, stk, len(primaries), int(first_track_id))
    deposits = Deposits(dep[:, D_X].copy(), dep[:, D_Y].copy(), dep[:, D_Z].copy(), dep[:, D_T].copy(),
                        dep[:, D_DE].astype(np.float32), dep[:, D_DX].astype(np.float32),
                        dep[:, D_TRACK].astype(np.int32), dep[:, D_SEMANTIC].astype(np.int8),
                        dep[:, D_KIND].astype(np.int8))
    return deposits, _particle_table(rows, deposits, primaries, masses, int(first_track_id))
