"""Particle transport: primaries in, energy deposits and a particle table out (§3-§4, §8.2).

A last-in-first-out stack of particles is worked off in one compiled loop: charged particles
are stepped by ``stepping`` (μ, π, K, p, e±), photons by ``showers``; what a particle leaves
where it ends (decays, captures, hadronic products, π⁰ photons, annihilation photons) comes
from ``secondaries``. Deposits are made only inside the box [box_min_cm, box_max_cm];
particles leaving it stop, primaries starting outside it are moved to where they enter.
Neutrons and neutrinos are not tracked (primaries keep a table row).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from argonet import units
from argonet.conf.sim import PhysicsConfig
from argonet.errors import ConfigError, DataError
from argonet.event import PARTICLE_DTYPE, ParticleKind
from argonet.sim import physics
from argonet.sim.deposits import Deposits, PRIMARY_DTYPE
from argonet.sim.draws import stream_from
from argonet.sim.eloss_tables import TABLES
from argonet.sim.secondaries import mass_MeV, products
from argonet.sim.showers import track_photon
from argonet.sim.transport_layout import (
    D_DE, D_DX, D_KIND, D_SEMANTIC, D_T, D_TRACK, D_X, D_Y, D_Z, FATE_DECAY, FATE_EXIT, K_ANCESTOR,
    K_ANCESTOR_PDG, K_CREDIT, K_KE, K_KIND, K_PARENT, K_PARENT_PDG, K_PDG, K_PROCESS, K_ROW, K_SEMANTIC, K_T,
    K_UX, K_UY, K_UZ, K_X, K_Y, K_Z, MAX_PRODUCTS, N_DEPOSIT_COLUMNS, N_PRODUCT_COLUMNS, N_ROW_COLUMNS,
    N_STACK_COLUMNS, N_STATE, OWN_ROW, PROCESSES, PR_PRIMARY, P_BOX, P_LIGHT_SPEED, Q_CREDIT, Q_KE, Q_KIND,
    Q_PDG, Q_PROCESS, Q_T, Q_UX, Q_UY, Q_UZ, R_ANCESTOR, R_ANCESTOR_PDG, R_DISTANCE, R_ENERGY, R_ET, R_EX,
    R_EY, R_EZ, R_KIND, R_PARENT, R_PARENT_PDG, R_PDG, R_PROCESS, R_PX, R_PY, R_PZ, R_SEMANTIC, R_ST, R_SX,
    R_SY, R_SZ, R_TRACK, S_CHANNEL, S_DISTANCE, S_KE, S_T, S_UX, S_UY, S_UZ, S_X, S_Y, S_Z, add_child,
    make_params, reserve)
from argonet.sim.stepping import move, track_charged
from argonet.sim.vector_math import distance_to_entry


@njit(cache=True)
def _open_row(row, e, track, mass):
    """Fill the start of a table row from a stack entry."""
    p = math.sqrt(e[K_KE] * (e[K_KE] + 2.0 * mass))
    row[R_TRACK], row[R_PARENT], row[R_ANCESTOR] = track, e[K_PARENT], e[K_ANCESTOR]
    row[R_PDG], row[R_PARENT_PDG], row[R_ANCESTOR_PDG] = e[K_PDG], e[K_PARENT_PDG], e[K_ANCESTOR_PDG]
    row[R_PX], row[R_PY], row[R_PZ] = p * e[K_UX], p * e[K_UY], p * e[K_UZ]
    row[R_ENERGY] = e[K_KE] + mass
    row[R_SX], row[R_SY], row[R_SZ], row[R_ST] = e[K_X], e[K_Y], e[K_Z], e[K_T]
    row[R_SEMANTIC], row[R_KIND], row[R_PROCESS] = e[K_SEMANTIC], e[K_KIND], e[K_PROCESS]


@njit(cache=True, inline="always")
def _enter_box(par, st, mass):
    """Move a particle that starts outside the box to where it enters; False if it never does."""
    box = par[P_BOX:P_BOX + 6]
    d = distance_to_entry(box, st[S_X], st[S_Y], st[S_Z], st[S_UX], st[S_UY], st[S_UZ])
    if d > 0.0:
        energy = st[S_KE] + mass
        beta = math.sqrt(max(1.0 - (mass / energy) ** 2, 1e-12)) if energy > 0.0 else 1.0
        move(st, d, beta * par[P_LIGHT_SPEED])
        st[S_DISTANCE] = 0.0
    return d >= 0.0


@njit(cache=True, inline="always")
def _track_one(state, tab, par, e, track, st, dep, ndep, stk, nstk, prod):
    """Transport one particle and push what it leaves; neutrons, neutrinos and unknowns are not tracked."""
    pdg = e[K_PDG]
    abs_pdg = abs(pdg)
    fate = FATE_EXIT
    if pdg == 111.0:
        fate = FATE_DECAY
    elif pdg == 22.0 or abs_pdg == 11.0 or abs_pdg == 13.0 or abs_pdg == 211.0 or abs_pdg == 321.0 or \
            abs_pdg == 2212.0:
        if not _enter_box(par, st, mass_MeV(par, int(abs_pdg))):
            return dep, ndep, stk, nstk
        if pdg == 22.0:
            dep, ndep, stk, nstk = track_photon(state, tab, par, e, track, st, dep, ndep, stk, nstk)
        else:
            dep, ndep, stk, nstk, fate = track_charged(state, tab, par, e, track, st, dep, ndep, stk, nstk)
    n = products(state, par, e, st, fate, prod)
    for i in range(n):
        q = prod[i]
        credit = OWN_ROW if q[Q_CREDIT] == OWN_ROW else float(track)
        stk = add_child(stk, nstk, e, track, credit, q[Q_PDG], st[S_X], st[S_Y], st[S_Z], q[Q_UX], q[Q_UY], q[Q_UZ],
                        q[Q_KE], q[Q_T], q[Q_KIND], q[Q_PROCESS])
        nstk += 1
    return dep, ndep, stk, nstk


@njit(cache=True)
def _run(state, tab, par, stk, nstk, first_track):
    """Track everything on the stack (last in, first out); returns (deposits, table rows).

    The primaries (stack rows 0..nstk-1, the first primary on top) get the first track ids.
    """
    dep = np.empty((4096, N_DEPOSIT_COLUMNS))
    rows = np.empty((max(64, 4 * nstk), N_ROW_COLUMNS))
    prod = np.empty((MAX_PRODUCTS, N_PRODUCT_COLUMNS))
    for i in range(nstk):
        e = stk[nstk - 1 - i]
        e[K_ANCESTOR], e[K_ROW] = first_track + i, i
        _open_row(rows[i], e, first_track + i, mass_MeV(par, int(abs(e[K_PDG]))))
    ndep, nrow = np.int64(0), nstk      # non-literal 0: numba would also compile callees for Literal[0]
    st = np.zeros(N_STATE)
    while nstk > 0:
        nstk -= 1
        e = stk[nstk].copy()
        row = int(e[K_ROW])
        if row < 0 and e[K_CREDIT] == OWN_ROW:
            row, nrow = nrow, nrow + 1
            rows = reserve(rows, row)
            _open_row(rows[row], e, first_track + row, mass_MeV(par, int(abs(e[K_PDG]))))
        track = first_track + row if row >= 0 else int(e[K_CREDIT])
        st[S_X], st[S_Y], st[S_Z], st[S_T] = e[K_X], e[K_Y], e[K_Z], e[K_T]
        st[S_UX], st[S_UY], st[S_UZ], st[S_KE] = e[K_UX], e[K_UY], e[K_UZ], e[K_KE]
        st[S_DISTANCE], st[S_CHANNEL] = 0.0, 0.0
        dep, ndep, stk, nstk = _track_one(state, tab, par, e, track, st, dep, ndep, stk, nstk, prod)
        if row >= 0:
            r = rows[row]
            r[R_EX], r[R_EY], r[R_EZ], r[R_ET], r[R_DISTANCE] = st[S_X], st[S_Y], st[S_Z], st[S_T], st[S_DISTANCE]
    return dep[:ndep], rows[:nrow]


_KNOWN_MASSES_MeV = {**physics.HEAVY_MASSES_MeV, 11: physics.ELECTRON_MASS_MeV, 2112: units.neutron_mass_MeV,
                     111: units.pion_neutral_mass_MeV, 22: 0.0, 12: 0.0, 14: 0.0, 16: 0.0}
_PROCESS_NAMES = np.array(PROCESSES, dtype="S32")


def _primary_mass_MeV(pdg: int) -> float:
    """Rest mass of a primary (MeV); the particle package knows the ones transport does not track."""
    if abs(pdg) in _KNOWN_MASSES_MeV:
        return _KNOWN_MASSES_MeV[abs(pdg)]
    from particle import InvalidParticle, Particle, ParticleNotFound
    try:
        mass = Particle.from_pdgid(pdg).mass
    except (InvalidParticle, ParticleNotFound, ValueError):
        raise DataError(f"primaries: unknown pdg code {pdg}") from None
    return float(mass or 0.0)


def _primary_stack(primaries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stack rows for the primaries (first primary on top) and their rest masses."""
    n = len(primaries)
    pdg = primaries["pdg"]
    masses = np.array([_primary_mass_MeV(int(code)) for code in pdg], dtype=np.float64)
    px, py, pz = primaries["px_MeV"], primaries["py_MeV"], primaries["pz_MeV"]
    p = np.sqrt(px * px + py * py + pz * pz)
    moving = p > 0
    inv_p = np.divide(1.0, p, out=np.zeros(n), where=moving)
    stk = np.zeros((max(n, 16), N_STACK_COLUMNS))
    rows = stk[:n][::-1]
    rows[:, K_PDG], rows[:, K_T], rows[:, K_SEMANTIC] = pdg, primaries["t_ns"], primaries["semantic"]
    rows[:, K_X], rows[:, K_Y], rows[:, K_Z] = primaries["x_cm"], primaries["y_cm"], primaries["z_cm"]
    rows[:, K_UX], rows[:, K_UY], rows[:, K_UZ] = px * inv_p, py * inv_p, np.where(moving, pz * inv_p, 1.0)
    rows[:, K_KE] = np.sqrt(p * p + masses * masses) - masses
    rows[:, K_ANCESTOR], rows[:, K_ANCESTOR_PDG] = -1.0, pdg
    rows[:, K_CREDIT], rows[:, K_PROCESS], rows[:, K_ROW] = OWN_ROW, PR_PRIMARY, -1.0
    shower = (np.abs(pdg) == 11) | (pdg == 22) | (pdg == 111)        # e±, γ and π⁰ start showers
    rows[:, K_KIND] = np.where(shower, float(ParticleKind.SHOWER), float(ParticleKind.TRACK))
    return stk, masses


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
    table["process"] = _PROCESS_NAMES[rows[:, R_PROCESS].astype(np.int64)]
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
    if not np.isfinite(stk).all():
        raise DataError("primaries: momenta, positions and times must be finite")
    par = make_params(cfg, tuple(map(float, box_min_cm)), tuple(map(float, box_max_cm)))
    dep, rows = _run(stream_from(rng), TABLES, par, stk, len(primaries), int(first_track_id))
    deposits = Deposits(dep[:, D_X].copy(), dep[:, D_Y].copy(), dep[:, D_Z].copy(), dep[:, D_T].copy(),
                        dep[:, D_DE].astype(np.float32), dep[:, D_DX].astype(np.float32),
                        dep[:, D_TRACK].astype(np.int32), dep[:, D_SEMANTIC].astype(np.int8),
                        dep[:, D_KIND].astype(np.int8))
    return deposits, _particle_table(rows, deposits, primaries, masses, int(first_track_id))
