"""Column layouts of the compiled transport's arrays, and the helpers that append rows.

Three growable float64 buffers travel through the kernels: the particle stack (waiting
particles), the deposits (one row per step) and the particle table (one row per tracked
particle). Codes (pdg, kind, process) are passed to kernels as floats: numba compiles a
separate copy of a function for every distinct integer literal argument. ``params`` is a
float64 vector with the configuration and every process constant the kernels use, built per
call from ``PhysicsConfig`` and ``units`` (so numba's cache never holds stale numbers).
The column indices are compiled into the kernels of other modules as constants, and numba
only re-validates a cached kernel against its own source file: after changing a layout here,
delete the ``__pycache__`` of ``argonet/sim``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from argonet import units
from argonet.conf.sim import PhysicsConfig
from argonet.event import ParticleKind

# ---- particle stack: one row per particle waiting to be tracked ----
(K_PDG, K_X, K_Y, K_Z, K_UX, K_UY, K_UZ, K_KE, K_T, K_PARENT, K_PARENT_PDG, K_ANCESTOR, K_ANCESTOR_PDG,
 K_CREDIT, K_KIND, K_SEMANTIC, K_PROCESS, K_ROW) = range(18)
N_STACK_COLUMNS = 18
OWN_ROW = -1.0          # K_CREDIT of a particle that gets its own table row; else the row's track id
                        # K_ROW: index of the row already opened for it (primaries), else -1

# ---- deposits ----
D_X, D_Y, D_Z, D_T, D_DE, D_DX, D_TRACK, D_SEMANTIC, D_KIND = range(9)
N_DEPOSIT_COLUMNS = 9

# ---- particle table ----
(R_TRACK, R_PARENT, R_ANCESTOR, R_PDG, R_PARENT_PDG, R_ANCESTOR_PDG, R_PX, R_PY, R_PZ, R_ENERGY,
 R_SX, R_SY, R_SZ, R_ST, R_EX, R_EY, R_EZ, R_ET, R_DISTANCE, R_SEMANTIC, R_KIND, R_PROCESS) = range(22)
N_ROW_COLUMNS = 22

#: Creation processes (Geant4 names); the stack and table store the index.
PROCESSES = ("primary", "Decay", "muMinusCaptureAtRest", "pi+Inelastic", "pi-Inelastic", "protonInelastic",
             "conv", "eBrem", "compt", "muIoni", "hIoni", "hBertiniCaptureAtRest", "annihil", "kaon+Inelastic",
             "kaon-Inelastic")
(PR_PRIMARY, PR_DECAY, PR_MU_CAPTURE, PR_PIP_INELASTIC, PR_PIM_INELASTIC, PR_P_INELASTIC, PR_CONV, PR_BREM,
 PR_COMPTON, PR_MU_IONI, PR_H_IONI, PR_CAPTURE_AT_REST, PR_ANNIHIL, PR_KP_INELASTIC,
 PR_KM_INELASTIC) = (float(i) for i in range(len(PROCESSES)))

KIND_TRACK = float(ParticleKind.TRACK)
KIND_SHOWER = float(ParticleKind.SHOWER)
KIND_MICHEL = float(ParticleKind.MICHEL)
KIND_DELTA = float(ParticleKind.DELTA)
KIND_LOW_ENERGY = float(ParticleKind.LOW_ENERGY)

# ---- state of the particle being tracked (start values in, end values out) ----
S_X, S_Y, S_Z, S_UX, S_UY, S_UZ, S_KE, S_T, S_DISTANCE, S_CHANNEL = range(10)
N_STATE = 10
#: How a heavy charged track ended.
FATE_STOP, FATE_EXIT, FATE_INELASTIC, FATE_DECAY = range(4)

# ---- products left at the end of a track (secondaries.products) ----
Q_PDG, Q_UX, Q_UY, Q_UZ, Q_KE, Q_T, Q_KIND, Q_PROCESS, Q_CREDIT = range(9)
N_PRODUCT_COLUMNS = 9
MAX_PRODUCTS = 8
FOLD = 0.0              # Q_CREDIT of a product folded into its parent's table row (else OWN_ROW)

# ---- params ----
(P_STEP, P_FLUCTUATIONS, P_DELTA_RAYS, P_DELTA_CUT, P_MCS, P_HADRONIC, P_SHOWER_CUT,
 P_BOX) = range(8)                                  # P_BOX..P_BOX+5: xmin, ymin, zmin, xmax, ymax, zmax
(P_MU_MASS, P_PI_MASS, P_PI0_MASS, P_K_MASS, P_P_MASS, P_N_MASS, P_E_MASS, P_MU_LIFETIME,
 P_MU_MINUS_LIFETIME, P_MU_CAPTURE, P_PI_LIFETIME, P_K_LIFETIME, P_K_MU_NU, P_MICHEL_MAX, P_PI0_GG,
 P_PI_LAMBDA, P_P_LAMBDA, P_HAD_THRESHOLD, P_PI_ABS, P_PI_QE, P_PI_CEX, P_REMOVAL, P_P_KEEP_MIN,
 P_P_KEEP_MAX, P_P_MAX_ANGLE, P_CAPTURE_GAMMA_MEAN, P_CAPTURE_GAMMA_COUNT, P_STAR_P_MEAN,
 P_STAR_P_COUNT, P_HBARC, P_NUCLEAR_RADIUS, P_LOW_ENERGY, P_LIGHT_SPEED) = range(14, 47)
N_PARAMS = 47


def _process_constants() -> np.ndarray:
    """The units part of the params vector (P_MU_MASS onwards)."""
    u = units
    return np.array([
        u.muon_mass_MeV, u.pion_charged_mass_MeV, u.pion_neutral_mass_MeV, u.kaon_charged_mass_MeV,
        u.proton_mass_MeV, u.neutron_mass_MeV, u.electron_mass_MeV, u.muon_lifetime_ns,
        u.muon_minus_argon_lifetime_ns, u.muon_minus_capture_fraction_argon, u.pion_charged_lifetime_ns,
        u.kaon_charged_lifetime_ns, u.kaon_mu_nu_fraction, u.michel_endpoint_MeV, u.pi0_two_photon_fraction,
        u.pion_interaction_length_cm, u.proton_interaction_length_cm, u.hadronic_threshold_MeV,
        u.pion_absorption_fraction, u.pion_quasielastic_fraction, u.pion_charge_exchange_fraction,
        u.argon_removal_energy_MeV, u.proton_inelastic_keep_min, u.proton_inelastic_keep_max,
        np.radians(u.proton_inelastic_max_angle_deg), u.capture_gamma_mean_MeV, u.capture_gamma_max_count,
        u.star_proton_ke_mean_MeV, u.star_proton_max_count, u.hbarc_MeV_fm,
        u.nuclear_radius_r0_fm * u.argon_A_g_per_mol ** (1.0 / 3.0), u.low_energy_deposit_MeV,
        u.speed_of_light_cm_per_ns])


_PROCESS_CONSTANTS = _process_constants()


def make_params(cfg: PhysicsConfig, box_min_cm, box_max_cm) -> np.ndarray:
    """The params vector of one transport call."""
    par = np.empty(N_PARAMS)
    par[:P_BOX] = (cfg.step_cm, cfg.fluctuations, cfg.delta_rays, cfg.delta_ray_cut_MeV,
                   cfg.multiple_scattering, cfg.hadronic, cfg.shower_cut_MeV)
    par[P_BOX:P_BOX + 6] = (*box_min_cm, *box_max_cm)
    par[P_MU_MASS:] = _PROCESS_CONSTANTS
    return par


@njit(cache=True, inline="always")
def reserve(buf, n):
    """buf when row n exists, else a copy with twice the rows (buffers grow geometrically)."""
    if n < buf.shape[0]:
        return buf
    out = np.empty((2 * buf.shape[0], buf.shape[1]))
    for i in range(n):          # element copy: a slice assignment compiles a broadcast check
        for j in range(buf.shape[1]):
            out[i, j] = buf[i, j]
    return out


@njit(cache=True)
def add_deposit(dep, n, x, y, z, t_ns, de_MeV, dx_cm, track, semantic, kind):
    """Append one deposit at row n; returns the (possibly regrown) buffer."""
    dep = reserve(dep, n)
    row = dep[n]
    row[D_X], row[D_Y], row[D_Z], row[D_T] = x, y, z, t_ns
    row[D_DE], row[D_DX] = de_MeV, dx_cm
    row[D_TRACK], row[D_SEMANTIC], row[D_KIND] = track, semantic, kind
    return dep


@njit(cache=True)
def add_child(stk, n, parent, track, credit, pdg, x, y, z, ux, uy, uz, ke_MeV, t_ns, kind, process):
    """Push a secondary of the particle ``parent`` (a stack row) whose track id is ``track``.

    ``credit`` is OWN_ROW for a child with its own table row, else the track id whose row
    it is folded into (shower sub-particles).
    """
    stk = reserve(stk, n)
    row = stk[n]
    row[K_PDG], row[K_X], row[K_Y], row[K_Z] = pdg, x, y, z
    row[K_UX], row[K_UY], row[K_UZ], row[K_KE], row[K_T] = ux, uy, uz, ke_MeV, t_ns
    row[K_PARENT], row[K_PARENT_PDG] = track, parent[K_PDG]
    row[K_ANCESTOR], row[K_ANCESTOR_PDG] = parent[K_ANCESTOR], parent[K_ANCESTOR_PDG]
    row[K_CREDIT] = credit
    row[K_KIND], row[K_SEMANTIC], row[K_PROCESS], row[K_ROW] = kind, parent[K_SEMANTIC], process, -1.0
    return stk
