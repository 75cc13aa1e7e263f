"""How charged particles and photons lose energy in liquid argon (lartpc-physics.md §3-§4).

Plain, vectorised formulas: Bethe-Bloch with the Sternheimer density effect (§3.1-3.2),
CSDA ranges integrated from it (§3.3), the PDG most-probable loss (§3.5), Highland
scattering (§3.7), electron collision and radiative losses (§3.8) and photon attenuation (§4).
Energies are kinetic (MeV) unless a name says otherwise; lengths cm.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from argonet import units
from argonet.errors import ConfigError

ELECTRON_MASS_MeV = units.electron_mass_MeV
MEAN_EXCITATION_MeV = units.argon_mean_excitation_eV * 1e-6
#: K/2 (Z/A) rho: the Landau width xi per cm of path at beta = 1 (MeV/cm).
XI_PER_CM_MeV = 0.5 * units.bethe_K_MeV_cm2_per_mol * units.argon_Z_over_A * units.argon_density_g_per_cm3
ELECTRON_DENSITY_PER_CM3 = units.argon_density_g_per_cm3 * units.avogadro_per_mol * units.argon_Z_over_A

#: pdg codes with a stopping power here, and their masses (MeV).
HEAVY_MASSES_MeV = {13: units.muon_mass_MeV, 211: units.pion_charged_mass_MeV,
                    321: units.kaon_charged_mass_MeV, 2212: units.proton_mass_MeV}
ELECTRON_PDGS = (11, -11)

_LN10 = np.log(10.0)
ArrayLike = float | np.ndarray


def _as_array(value: ArrayLike) -> np.ndarray:
    """Float64 view of a scalar or array argument."""
    return np.asarray(value, dtype=np.float64)


def _scalar_or_array(result: np.ndarray, like: ArrayLike) -> ArrayLike:
    """Return a Python float when the caller passed a scalar."""
    return float(result) if np.ndim(like) == 0 else result


def beta_gamma(ke_MeV: ArrayLike, mass_MeV: float) -> np.ndarray:
    """beta*gamma = p/(m c) of a particle of kinetic energy ke_MeV."""
    gamma = 1.0 + _as_array(ke_MeV) / mass_MeV
    return np.sqrt(np.maximum(gamma * gamma - 1.0, 0.0))


def density_effect(beta_gamma_value: ArrayLike) -> np.ndarray:
    """Sternheimer density-effect correction delta(beta*gamma) for liquid argon (§3.2)."""
    s = units.argon_sternheimer
    x = np.log10(np.maximum(_as_array(beta_gamma_value), 1e-12))
    full = 2.0 * _LN10 * x - s["cbar"]
    middle = full + s["a"] * np.abs(s["x1"] - x) ** s["k"]
    return np.where(x >= s["x1"], full, np.where(x >= s["x0"], middle, s["delta0"]))


def max_energy_transfer_MeV(ke_MeV: ArrayLike, mass_MeV: float) -> np.ndarray:
    """W_max: the largest energy a heavy particle can hand to one electron (§3.2)."""
    bg = beta_gamma(ke_MeV, mass_MeV)
    gamma = 1.0 + _as_array(ke_MeV) / mass_MeV
    ratio = ELECTRON_MASS_MeV / mass_MeV
    return 2.0 * ELECTRON_MASS_MeV * bg**2 / (1.0 + 2.0 * gamma * ratio + ratio**2)


def bethe_dedx_MeV_per_cm(ke_MeV: ArrayLike, mass_MeV: float, charge: int = 1) -> np.ndarray:
    """Mean stopping power -dE/dx of a heavy charged particle (Bethe-Bloch + density effect)."""
    bg = np.maximum(beta_gamma(ke_MeV, mass_MeV), 1e-6)
    beta2 = bg**2 / (1.0 + bg**2)
    wmax = max_energy_transfer_MeV(ke_MeV, mass_MeV)
    log_term = 0.5 * np.log(2.0 * ELECTRON_MASS_MeV * bg**2 * wmax / MEAN_EXCITATION_MeV**2)
    bracket = log_term - beta2 - 0.5 * density_effect(bg)
    return 2.0 * XI_PER_CM_MeV * charge**2 / beta2 * np.maximum(bracket, 1e-3)


def landau_mpv_log_term(ke_MeV: ArrayLike, mass_MeV: float) -> np.ndarray:
    """ln(2 m c^2 beta^2 gamma^2 / I) + 0.2 - beta^2 - delta: Delta_p = xi (this + ln(xi/I)), §3.5."""
    bg = np.maximum(beta_gamma(ke_MeV, mass_MeV), 1e-6)
    beta2 = bg**2 / (1.0 + bg**2)
    return (np.log(2.0 * ELECTRON_MASS_MeV * bg**2 / MEAN_EXCITATION_MeV)
            + units.landau_mpv_constant - beta2 - density_effect(bg))


def landau_mpv_MeV(ke_MeV: ArrayLike, mass_MeV: float, thickness_cm: ArrayLike) -> np.ndarray:
    """PDG most probable energy loss Delta_p in a slab of liquid argon (§3.5)."""
    bg = np.maximum(beta_gamma(ke_MeV, mass_MeV), 1e-6)
    xi = XI_PER_CM_MeV * _as_array(thickness_cm) * (1.0 + bg**2) / bg**2
    return xi * (landau_mpv_log_term(ke_MeV, mass_MeV) + np.log(xi / MEAN_EXCITATION_MeV))


def electron_collision_dedx_MeV_per_cm(ke_MeV: ArrayLike, positron: bool = False) -> np.ndarray:
    """Collision stopping power of e- (or e+) by Rohrlich-Carlson, with density effect (§3.8)."""
    tau = np.maximum(_as_array(ke_MeV), 1e-6) / ELECTRON_MASS_MeV
    beta2 = tau * (tau + 2.0) / (tau + 1.0) ** 2
    if positron:
        y = 1.0 / (tau + 2.0)
        f = 2.0 * np.log(2.0) - beta2 / 12.0 * (23.0 + 14.0 * y + 10.0 * y**2 + 4.0 * y**3)
    else:
        f = 1.0 - beta2 + (tau**2 / 8.0 - (2.0 * tau + 1.0) * np.log(2.0)) / (tau + 1.0) ** 2
    i_rel = MEAN_EXCITATION_MeV / ELECTRON_MASS_MeV
    bracket = np.log(tau**2 * (tau + 2.0) / (2.0 * i_rel**2)) + f - density_effect(np.sqrt(tau * (tau + 2.0)))
    return XI_PER_CM_MeV / beta2 * np.maximum(bracket, 1e-3)


def electron_radiative_dedx_MeV_per_cm(ke_MeV: ArrayLike) -> np.ndarray:
    """Bremsstrahlung loss of e+-: total energy over one radiation length (§3.8)."""
    return (_as_array(ke_MeV) + ELECTRON_MASS_MeV) / units.argon_radiation_length_cm


def highland_theta0_rad(p_MeV: ArrayLike, beta: ArrayLike, x_cm: ArrayLike, charge: int = 1) -> ArrayLike:
    """Highland width (rad) of the projected multiple-scattering angle after x_cm of argon (§3.7)."""
    x_over_x0 = _as_array(x_cm) / units.argon_radiation_length_cm
    log_term = 1.0 + units.highland_log_coefficient * np.log(x_over_x0 * charge**2 / _as_array(beta) ** 2)
    result = units.highland_constant_MeV / (_as_array(beta) * p_MeV) * abs(charge) * np.sqrt(x_over_x0) * log_term
    return _scalar_or_array(result, p_MeV)


def klein_nishina_cross_section_cm2(photon_MeV: ArrayLike) -> np.ndarray:
    """Compton cross section per electron (Klein-Nishina), cm^2."""
    k = np.maximum(_as_array(photon_MeV), 1e-6) / ELECTRON_MASS_MeV
    log_term = np.log1p(2.0 * k)
    first = (1.0 + k) / k**2 * (2.0 * (1.0 + k) / (1.0 + 2.0 * k) - log_term / k)
    sigma = first + log_term / (2.0 * k) - (1.0 + 3.0 * k) / (1.0 + 2.0 * k) ** 2
    return 2.0 * np.pi * units.classical_electron_radius_cm**2 * sigma


def compton_attenuation_length_cm(photon_MeV: ArrayLike) -> np.ndarray:
    """Mean free path for Compton scattering on the argon electrons (cm)."""
    return 1.0 / (ELECTRON_DENSITY_PER_CM3 * klein_nishina_cross_section_cm2(photon_MeV))


def photon_attenuation_length_cm(photon_MeV: ArrayLike) -> np.ndarray:
    """Total (Compton + pair) attenuation length: §4 table in log-log, Compton alone below 2 m_e."""
    nodes = np.array(units.photon_attenuation_nodes_MeV_cm)
    k = np.maximum(_as_array(photon_MeV), 1e-6)
    table = np.exp(np.interp(np.log(k), np.log(nodes[:, 0]), np.log(nodes[:, 1])))
    compton = compton_attenuation_length_cm(k)
    pair_possible = k > 2.0 * ELECTRON_MASS_MeV
    return np.where(pair_possible, np.minimum(table, compton), compton)


# ---------------------------------------------------------------- CSDA range tables

#: Log-spaced kinetic-energy grid shared by all tables (MeV): 1 keV - 1 TeV, 100 points/decade.
LN_KE_MIN = np.log(1e-3)
LN_KE_STEP = np.log(10.0) / 100.0
KE_GRID_MeV = np.exp(LN_KE_MIN + LN_KE_STEP * np.arange(901))


def _cumulative_range_cm(ke_MeV: np.ndarray, dedx: np.ndarray) -> np.ndarray:
    """Integral of dT/(dE/dx) along the grid (trapezoids in ln T), starting at 0."""
    integrand = ke_MeV / dedx
    steps = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(np.log(ke_MeV))
    return np.concatenate([[0.0], np.cumsum(steps)])


@lru_cache(maxsize=None)
def heavy_range_table(mass_MeV: float) -> np.ndarray:
    """CSDA range (cm) on KE_GRID_MeV for a singly charged heavy particle.

    Integration starts where the particle has the velocity of a 5 MeV proton, at that
    proton's tabulated residual range scaled by the mass (range ∝ M at fixed beta), §3.2;
    below, a power law with the local slope continues it to zero.
    """
    scale = mass_MeV / units.proton_mass_MeV
    ke_ref = units.proton_reference_ke_MeV * scale
    range_ref = units.proton_reference_range_g_per_cm2 / units.argon_density_g_per_cm3 * scale
    dedx = bethe_dedx_MeV_per_cm(KE_GRID_MeV, mass_MeV)
    cumulative = _cumulative_range_cm(KE_GRID_MeV, dedx)
    at_ref = np.interp(np.log(ke_ref), np.log(KE_GRID_MeV), cumulative)
    ranges = range_ref + cumulative - at_ref
    slope = ke_ref / (range_ref * float(bethe_dedx_MeV_per_cm(ke_ref, mass_MeV)))
    below = KE_GRID_MeV < ke_ref
    ranges[below] = range_ref * (KE_GRID_MeV[below] / ke_ref) ** slope
    ranges.setflags(write=False)            # shared by every caller through the cache
    return ranges


@lru_cache(maxsize=None)
def electron_range_table(positron: bool = False, radiative: bool = True) -> np.ndarray:
    """CSDA range (cm) of e- / e+ on KE_GRID_MeV, with or without the radiative loss (§3.8)."""
    dedx = electron_collision_dedx_MeV_per_cm(KE_GRID_MeV, positron)
    if radiative:
        dedx = dedx + electron_radiative_dedx_MeV_per_cm(KE_GRID_MeV)
    ranges = _cumulative_range_cm(KE_GRID_MeV, dedx)
    ranges.setflags(write=False)
    return ranges


def _loss_model(pdg: int) -> tuple[str, float | bool]:
    """('heavy', mass) or ('electron', positron) for a pdg code; ConfigError otherwise."""
    pdg = int(pdg)
    if abs(pdg) in HEAVY_MASSES_MeV:
        return "heavy", HEAVY_MASSES_MeV[abs(pdg)]
    if pdg in ELECTRON_PDGS:
        return "electron", pdg == -11
    valid = [str(p) for p in sorted(HEAVY_MASSES_MeV)] + ["11", "-11"]
    raise ConfigError("pdg", f"no stopping power for pdg {pdg} (charged mu, pi, K, p, e only)", valid)


def _range_table(pdg: int) -> np.ndarray:
    """The CSDA range table of a pdg code."""
    model, arg = _loss_model(pdg)
    return heavy_range_table(arg) if model == "heavy" else electron_range_table(arg)


def csda_range_cm(pdg: int, ke_MeV: ArrayLike) -> ArrayLike:
    """CSDA range in liquid argon (cm), log-log interpolated from the integrated table (§3.3)."""
    ke = np.maximum(_as_array(ke_MeV), KE_GRID_MeV[0])
    table = _range_table(pdg)
    result = np.exp(np.interp(np.log(ke), np.log(KE_GRID_MeV), np.log(np.maximum(table, 1e-30))))
    return _scalar_or_array(np.where(_as_array(ke_MeV) > 0, result, 0.0), ke_MeV)


def kinetic_energy_from_range_MeV(pdg: int, range_cm: ArrayLike) -> ArrayLike:
    """Inverse of csda_range_cm: the kinetic energy (MeV) that stops after range_cm."""
    table = _range_table(pdg)
    valid = table > 0
    r = np.maximum(_as_array(range_cm), table[valid][0])
    result = np.exp(np.interp(np.log(r), np.log(table[valid]), np.log(KE_GRID_MeV[valid])))
    return _scalar_or_array(np.where(_as_array(range_cm) > 0, result, 0.0), range_cm)


def mean_dedx_MeV_per_cm(pdg: int, ke_MeV: ArrayLike) -> ArrayLike:
    """Mean energy loss per cm: Bethe for mu/pi/K/p, collision + radiative for e+- (§3.2, §3.8)."""
    model, arg = _loss_model(pdg)
    if model == "heavy":
        result = bethe_dedx_MeV_per_cm(ke_MeV, arg)
    else:
        result = electron_collision_dedx_MeV_per_cm(ke_MeV, arg) + electron_radiative_dedx_MeV_per_cm(ke_MeV)
    return _scalar_or_array(result, ke_MeV)
