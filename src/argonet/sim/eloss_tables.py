"""Lookup tables for the compiled stepping code, and the per-step energy-loss samplers.

The formulas of ``physics.py`` are evaluated once on its log-spaced kinetic-energy grid and
stored, with every constant the kernels need, in ONE flat float64 array (``TABLES``): the
kernels get it as an argument, so numba's cache never holds stale physics numbers, and a
call passes one array instead of many. Interpolation is linear in ln T.

Energy-loss fluctuations (§3.5): a Landau distribution with the PDG most probable value,
truncated where its mean equals the (restricted) Bethe mean of the step; a Gaussian of
Bohr width when the step is thick (Vavilov κ = ξ/T_max ≥ 10) or the Landau cannot reach
the mean without being cut at its peak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from argonet import units
from argonet.sim import physics
from argonet.sim.draws import normal_pair
from argonet.sim.xoshiro import uniform

#: Species rows of the tables.
MUON, PION, KAON, PROTON, ELECTRON, POSITRON = range(6)
_HEAVY_PDGS = (13, 211, 321, 2212)
N_SPECIES = 6

#: Vavilov parameter κ = ξ/T_max above which the loss of a step is taken Gaussian.
KAPPA_GAUSSIAN = 10.0
#: Landau truncation points closer than this to the mode (λ units) are not used: Gaussian instead.
LANDAU_MIN_TAIL = 1.0

# ---- layout of the flat table (sizes are literals so cached kernels stay consistent) ----
N_KE = 901                      # physics.KE_GRID_MeV
N_W = 8193                      # Landau λ(w), w = -ln(1 - u), u its CDF, w in [0, W_MAX]
W_MAX = 16.0
N_M = 2049                      # Landau truncation w_max for a wanted truncated mean m
O_RANGE = 0                     # ln CSDA range (cm), N_SPECIES rows; e+- collision loss only
O_DEDX = O_RANGE + N_SPECIES * N_KE      # ln mean dE/dx (MeV/cm); e+- collision only
O_MPV = O_DEDX + N_SPECIES * N_KE        # log term of the PDG most probable loss
O_PHOTON = O_MPV + N_SPECIES * N_KE      # ln total photon attenuation length (cm)
O_COMPTON = O_PHOTON + N_KE              # share of photon interactions that are Compton
O_LAMBDA = O_COMPTON + N_KE              # Landau λ(w)
O_WMAX = O_LAMBDA + N_W                  # Landau w_max(m)
O_CONST = O_WMAX + N_M                   # scalars below
(C_LN_KE_MIN, C_LN_KE_STEP, C_M_MIN, C_M_STEP, C_XI_PER_CM, C_MEAN_EXCITATION, C_LANDAU_MODE,
 C_X0, C_HIGHLAND, C_HIGHLAND_LOG, C_ELECTRON_MASS, C_LIGHT_SPEED, C_MASS) = range(13)
N_CONST = C_MASS + N_SPECIES
TABLE_SIZE = O_CONST + N_CONST


#: λ(w) of the universal Landau density on the w grid, as ``landau_lambda_exact`` computes it, stored
#: with the package: importing scipy.stats to compute it would cost every run about a second (without
#: the file, or after a change of the grid, it is computed; to store it again:
#: ``np.save(LANDAU_LAMBDA_FILE, landau_lambda_exact())``).
LANDAU_LAMBDA_FILE = Path(__file__).with_name("landau_lambda.npy")


def landau_lambda_exact() -> np.ndarray:
    """λ(w) on the w grid from scipy's Landau quantile (what ``LANDAU_LAMBDA_FILE`` stores).

    scipy's landau uses the Boost variable x = (2/π)(λ - ln(π/2)) of the physics λ, whose
    mode is at -0.22278 (PDG).
    """
    import scipy.stats                       # only to build or check the stored table

    w = np.linspace(0.0, W_MAX, N_W)
    u = np.clip(-np.expm1(-w), 1e-9, None)
    return 0.5 * np.pi * scipy.stats.landau.ppf(u) + np.log(0.5 * np.pi)


def _landau_tables() -> tuple[np.ndarray, np.ndarray, float, float]:
    """Inverse CDF of the universal Landau density and its truncated-mean inversion."""
    w = np.linspace(0.0, W_MAX, N_W)
    stored = np.load(LANDAU_LAMBDA_FILE) if LANDAU_LAMBDA_FILE.is_file() else None
    lam = stored if stored is not None and stored.shape == w.shape else landau_lambda_exact()
    integrand = lam * np.exp(-w)             # truncated mean m(w_max) = ∫ λ du / u_max, du = e^-w dw
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(w))])
    start = np.searchsorted(lam, units.landau_mode_lambda + LANDAU_MIN_TAIL)
    m_of_w = cumulative[start:] / -np.expm1(-w[start:])
    m_grid = np.linspace(m_of_w[0], m_of_w[-1], N_M)
    return lam, np.interp(m_grid, m_of_w, w[start:]), float(m_grid[0]), float(m_grid[1] - m_grid[0])


def build_tables() -> np.ndarray:
    """Evaluate ``physics.py`` on its grid and pack it with the kernels' constants (a few ms)."""
    ke = physics.KE_GRID_MeV
    if ke.size != N_KE:
        raise RuntimeError(f"physics.KE_GRID_MeV has {ke.size} points, eloss_tables expects {N_KE}")
    masses = [physics.HEAVY_MASSES_MeV[p] for p in _HEAVY_PDGS] + [units.electron_mass_MeV] * 2
    tab = np.zeros(TABLE_SIZE)
    for row, mass in enumerate(masses[:4]):
        tab[O_RANGE + row * N_KE:][:N_KE] = np.log(physics.heavy_range_table(mass))
        tab[O_DEDX + row * N_KE:][:N_KE] = np.log(physics.bethe_dedx_MeV_per_cm(ke, mass))
        tab[O_MPV + row * N_KE:][:N_KE] = physics.landau_mpv_log_term(ke, mass)
    for row, positron in ((ELECTRON, False), (POSITRON, True)):
        tab[O_RANGE + row * N_KE:][:N_KE] = np.log(np.maximum(physics.electron_range_table(positron, False), 1e-30))
        tab[O_DEDX + row * N_KE:][:N_KE] = np.log(physics.electron_collision_dedx_MeV_per_cm(ke, positron))
        tab[O_MPV + row * N_KE:][:N_KE] = physics.landau_mpv_log_term(ke, units.electron_mass_MeV)
    total = physics.photon_attenuation_length_cm(ke)
    tab[O_PHOTON:O_COMPTON] = np.log(total)
    tab[O_COMPTON:O_LAMBDA] = np.clip(total / physics.compton_attenuation_length_cm(ke), 0.0, 1.0)
    lam, w_of_m, m_min, m_step = _landau_tables()
    tab[O_LAMBDA:O_WMAX] = lam
    tab[O_WMAX:O_CONST] = w_of_m
    const = tab[O_CONST:]
    const[:C_MASS] = (physics.LN_KE_MIN, physics.LN_KE_STEP, m_min, m_step, physics.XI_PER_CM_MeV,
                      physics.MEAN_EXCITATION_MeV, units.landau_mode_lambda, units.argon_radiation_length_cm,
                      units.highland_constant_MeV, units.highland_log_coefficient, units.electron_mass_MeV,
                      units.speed_of_light_cm_per_ns)
    const[C_MASS:] = masses
    return tab


TABLES = build_tables()


# ------------------------------------------------------------------ compiled lookups

@njit(cache=True, inline="always")
def _interp(tab, offset, n, x0, step, x):
    """Linear interpolation of tab[offset:offset+n] tabulated at x0 + i*step, clamped."""
    f = (x - x0) / step
    if f <= 0.0:
        return tab[offset]
    if f >= n - 1:
        return tab[offset + n - 1]
    i = int(f)
    w = f - i
    return tab[offset + i] * (1.0 - w) + tab[offset + i + 1] * w


@njit(cache=True, inline="always")
def _on_grid(tab, offset, ke_MeV):
    """Value of a kinetic-energy table at ke_MeV."""
    return _interp(tab, offset, N_KE, tab[O_CONST + C_LN_KE_MIN], tab[O_CONST + C_LN_KE_STEP],
                   np.log(max(ke_MeV, 1e-9)))


@njit(cache=True, inline="always")
def range_cm(tab, species, ke_MeV):
    """CSDA range (cm) of a species at kinetic energy ke_MeV."""
    if ke_MeV <= 0.0:
        return 0.0
    return np.exp(_on_grid(tab, O_RANGE + species * N_KE, ke_MeV))


@njit(cache=True, inline="always")
def ke_from_range(tab, species, r_cm):
    """Kinetic energy (MeV) whose CSDA range is r_cm: bisection of the monotonic table."""
    if r_cm <= 0.0:
        return 0.0
    base = O_RANGE + species * N_KE
    ln_r = np.log(r_cm)
    ln_ke_min, ln_ke_step = tab[O_CONST + C_LN_KE_MIN], tab[O_CONST + C_LN_KE_STEP]
    lo, hi = 0, N_KE - 1
    if ln_r <= tab[base]:
        return np.exp(ln_ke_min)
    if ln_r >= tab[base + hi]:
        return np.exp(ln_ke_min + hi * ln_ke_step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if tab[base + mid] <= ln_r:
            lo = mid
        else:
            hi = mid
    w = (ln_r - tab[base + lo]) / (tab[base + hi] - tab[base + lo])
    return np.exp(ln_ke_min + (lo + w) * ln_ke_step)


@njit(cache=True, inline="always")
def dedx_MeV_per_cm(tab, species, ke_MeV):
    """Mean (heavy) or collision (e+-) stopping power at ke_MeV."""
    return np.exp(_on_grid(tab, O_DEDX + species * N_KE, ke_MeV))


@njit(cache=True, inline="always")
def landau_mpv_MeV(tab, species, ke_MeV, xi_MeV):
    """PDG most probable loss of a step whose Landau width is xi_MeV (§3.5)."""
    log_term = _on_grid(tab, O_MPV + species * N_KE, ke_MeV)
    return xi_MeV * (log_term + np.log(xi_MeV / tab[O_CONST + C_MEAN_EXCITATION]))


@njit(cache=True, inline="always")
def photon_length_and_compton_share(tab, photon_MeV):
    """(total attenuation length in cm, probability that the interaction is a Compton scatter)."""
    return np.exp(_on_grid(tab, O_PHOTON, photon_MeV)), _on_grid(tab, O_COMPTON, photon_MeV)


@njit(cache=True, inline="always")
def scattering_sigma_rad(tab, p_MeV, beta, step_cm):
    """Projected MCS angle of one step: Highland at one X0, scaled by sqrt(step/X0) (§3.7).

    Evaluating the Highland log term at x = X0 makes the variance additive, so the angle
    after any path L is Highland's θ0 for L = X0 = 14 cm and within ~10 % for 1-100 cm.
    """
    x0 = tab[O_CONST + C_X0]
    theta_x0 = tab[O_CONST + C_HIGHLAND] / (beta * p_MeV) * (
        1.0 + tab[O_CONST + C_HIGHLAND_LOG] * np.log(1.0 / (beta * beta)))
    return theta_x0 * np.sqrt(step_cm / x0)


@njit(cache=True, inline="always")
def _gaussian_loss(state, mean_MeV, sigma_MeV):
    """Gaussian loss kept inside [0, 2 mean] (symmetric, so the mean is preserved)."""
    for _ in range(8):
        a, b = normal_pair(state)
        for z in (a, b):
            loss = mean_MeV + sigma_MeV * z
            if 0.0 <= loss <= 2.0 * mean_MeV:
                return loss
    return mean_MeV


@njit(cache=True)
def sample_energy_loss(state, tab, mean_MeV, xi_MeV, mpv_MeV, tmax_MeV, beta2):
    """Energy lost in one step: truncated Landau with the PDG MPV and the given mean, or Gaussian.

    ``mean_MeV`` is the mean loss not carried by explicit delta rays, ``xi_MeV`` the Landau
    width of the step, ``tmax_MeV`` the largest single transfer kept in the continuous loss.
    """
    if mean_MeV <= 0.0:
        return 0.0
    c = O_CONST
    m = (mean_MeV - mpv_MeV) / xi_MeV + tab[c + C_LANDAU_MODE]
    if xi_MeV < KAPPA_GAUSSIAN * tmax_MeV and m >= tab[c + C_M_MIN]:
        w_max = _interp(tab, O_WMAX, N_M, tab[c + C_M_MIN], tab[c + C_M_STEP], m)
        u = uniform(state) * (1.0 - np.exp(-w_max))
        lam = _interp(tab, O_LAMBDA, N_W, 0.0, W_MAX / (N_W - 1), -np.log(1.0 - u))
        return max(mpv_MeV + xi_MeV * (lam - tab[c + C_LANDAU_MODE]), 0.0)
    sigma = np.sqrt(xi_MeV * tmax_MeV * max(1.0 - 0.5 * beta2, 0.0))
    return _gaussian_loss(state, mean_MeV, sigma)


@njit(cache=True, inline="always")
def delta_ray_dedx_MeV_per_cm(tab, beta2, wmax_MeV, cut_MeV):
    """Part of the Bethe mean loss carried by knock-on electrons above cut_MeV (spin 0, §3.6)."""
    if wmax_MeV <= cut_MeV:
        return 0.0
    return tab[O_CONST + C_XI_PER_CM] / beta2 * (np.log(wmax_MeV / cut_MeV) - beta2 * (1.0 - cut_MeV / wmax_MeV))


@njit(cache=True, inline="always")
def delta_ray_rate_per_cm(tab, beta2, wmax_MeV, cut_MeV):
    """Knock-on electrons above cut_MeV per cm, §3.6 (≈ 0.1/cm above 1 MeV for a MIP)."""
    if wmax_MeV <= cut_MeV:
        return 0.0
    return tab[O_CONST + C_XI_PER_CM] / beta2 * (1.0 / cut_MeV - 1.0 / wmax_MeV
                                                 - beta2 / wmax_MeV * np.log(wmax_MeV / cut_MeV))


@njit(cache=True, inline="always")
def sample_delta_ray_MeV(state, beta2, wmax_MeV, cut_MeV):
    """Knock-on electron kinetic energy from dN/dT ∝ (1 - beta^2 T/W_max)/T^2 above cut_MeV."""
    while True:
        t = 1.0 / (1.0 / cut_MeV - uniform(state) * (1.0 / cut_MeV - 1.0 / wmax_MeV))
        if uniform(state) <= 1.0 - beta2 * t / wmax_MeV:
            return t
