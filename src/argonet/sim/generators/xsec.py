"""Neutrino-nucleon cross sections of the toy generator (lartpc-physics.md §5.3-§5.6).

Quasi-elastic scattering uses the Llewellyn-Smith formula on a free nucleon with dipole form
factors (M_A = 1 GeV); resonance and DIS production only need the *shape* of sigma(E) to weight
the flux, so they are simple threshold curves. Energies GeV, Q^2 GeV^2, cross sections cm^2.
"""

from __future__ import annotations

from functools import lru_cache
import math

import numpy as np

from argonet import units

NUCLEON_MASS_GeV = 0.5 * (units.proton_mass_MeV + units.neutron_mass_MeV) / units.MeV_per_GeV
_PION_MASS_GeV = units.pion_charged_mass_MeV / units.MeV_per_GeV

#: sigma_RES ∝ (1 - E0/E)^2 min(E, E_sat): the threshold rise of §5.6.
RES_THRESHOLD_GeV = 0.35
RES_SATURATION_GeV = 1.5
#: Lowest hadronic invariant mass of the DIS class (§5.2: W > 1.4-2 GeV).
DIS_W_MIN_GeV = 1.7

_E_GRID_GeV = np.geomspace(0.02, 120.0, 480)        # where sigma_QE is tabulated
_U_GRID = np.linspace(0.0, 1.0, 257)                # Q^2 = Q2min + (Q2max - Q2min) u^3


def q2_range_GeV2(e_nu_GeV: float, target_mass_GeV: float, final_mass_GeV: float,
                  lepton_mass_GeV: float) -> tuple[float, float] | None:
    """Kinematic Q^2 range of nu + N(at rest, mass target) → l + X(mass final); None below threshold."""
    s = target_mass_GeV ** 2 + 2.0 * target_mass_GeV * e_nu_GeV
    if s <= (final_mass_GeV + lepton_mass_GeV) ** 2:
        return None
    root_s = math.sqrt(s)
    e_nu_cm = (s - target_mass_GeV ** 2) / (2.0 * root_s)
    e_l_cm = (s + lepton_mass_GeV ** 2 - final_mass_GeV ** 2) / (2.0 * root_s)
    p_l_cm = math.sqrt(max(e_l_cm ** 2 - lepton_mass_GeV ** 2, 0.0))
    return (2.0 * e_nu_cm * (e_l_cm - p_l_cm) - lepton_mass_GeV ** 2,
            2.0 * e_nu_cm * (e_l_cm + p_l_cm) - lepton_mass_GeV ** 2)


def llewellyn_smith_dsigma_dq2_cm2(e_nu_GeV, q2_GeV2, lepton_mass_GeV: float) -> np.ndarray:
    """dsigma/dQ^2 (cm^2/GeV^2) of neutrino CCQE on a free nucleon (Llewellyn-Smith, dipole FFs)."""
    e_nu = np.asarray(e_nu_GeV, dtype=float)
    q2 = np.asarray(q2_GeV2, dtype=float)
    m_n2 = NUCLEON_MASS_GeV ** 2
    m_l2 = lepton_mass_GeV ** 2
    tau = q2 / (4.0 * m_n2)
    g_dipole = 1.0 / (1.0 + q2 / units.nucleon_vector_mass_squared_GeV2) ** 2
    xi = units.nucleon_anomalous_moment_difference
    f1 = g_dipole * (1.0 + tau * (1.0 + xi)) / (1.0 + tau)
    f2 = g_dipole * xi / (1.0 + tau)
    fa = units.nucleon_axial_coupling / (1.0 + q2 / units.nucleon_axial_mass_GeV ** 2) ** 2
    fp = 2.0 * m_n2 * fa / (_PION_MASS_GeV ** 2 + q2)
    a = (m_l2 + q2) / m_n2 * (
        (1.0 + tau) * fa ** 2 - (1.0 - tau) * f1 ** 2 + tau * (1.0 - tau) * f2 ** 2 + 4.0 * tau * f1 * f2
        - m_l2 / (4.0 * m_n2) * ((f1 + f2) ** 2 + (fa + 2.0 * fp) ** 2 - (q2 / m_n2 + 4.0) * fp ** 2))
    b = q2 / m_n2 * fa * (f1 + f2)
    c = 0.25 * (fa ** 2 + f1 ** 2 + tau * f2 ** 2)
    s_minus_u = 4.0 * NUCLEON_MASS_GeV * e_nu - q2 - m_l2
    prefactor = (m_n2 * units.fermi_constant_per_GeV2 ** 2 * units.cos_cabibbo ** 2
                 / (8.0 * math.pi * e_nu ** 2) * units.hbarc_squared_cm2_GeV2)
    return prefactor * (a + b * s_minus_u / m_n2 + c * s_minus_u ** 2 / m_n2 ** 2)


@lru_cache(maxsize=8)
def _qe_tables(lepton_mass_GeV: float) -> tuple[np.ndarray, np.ndarray]:
    """sigma_QE on _E_GRID_GeV and the CDF over u of dsigma/dQ^2 per grid energy."""
    ranges = [q2_range_GeV2(e, NUCLEON_MASS_GeV, NUCLEON_MASS_GeV, lepton_mass_GeV) or (np.nan, np.nan)
              for e in _E_GRID_GeV]
    q2_min, q2_max = np.array(ranges).T
    ok = np.isfinite(q2_min) & (q2_max > q2_min)
    span = np.where(ok, q2_max - q2_min, 0.0)
    q2 = np.where(ok, q2_min, 0.0)[:, None] + span[:, None] * _U_GRID[None, :] ** 3
    dq2_du = span[:, None] * 3.0 * _U_GRID[None, :] ** 2
    density = np.where(ok[:, None], llewellyn_smith_dsigma_dq2_cm2(_E_GRID_GeV[:, None], q2, lepton_mass_GeV)
                       * dq2_du, 0.0)
    steps = 0.5 * (density[:, 1:] + density[:, :-1]) * np.diff(_U_GRID)[None, :]
    cdf = np.concatenate([np.zeros((len(_E_GRID_GeV), 1)), np.cumsum(steps, axis=1)], axis=1)
    sigma = cdf[:, -1].copy()
    cdf /= np.where(sigma > 0, sigma, 1.0)[:, None]
    cdf[~ok] = _U_GRID[None, :]
    return sigma, cdf


def ccqe_cross_section_cm2(e_nu_GeV, lepton_mass_GeV: float = units.muon_mass_MeV / units.MeV_per_GeV
                           ) -> np.ndarray:
    """Free-nucleon Llewellyn-Smith QE cross section per nucleon, cm^2 (interpolated table)."""
    sigma, _ = _qe_tables(float(lepton_mass_GeV))
    return np.interp(np.log(np.asarray(e_nu_GeV, dtype=float)), np.log(_E_GRID_GeV), sigma, left=0.0)


def qe_q2_fraction(e_nu_GeV: float, lepton_mass_GeV: float, uniform: float) -> float:
    """Where Q^2 lies in its kinematic range (0 = Q2min, 1 = Q2max), drawn from dsigma/dQ^2."""
    _, cdf = _qe_tables(float(lepton_mass_GeV))
    row = min(int(np.searchsorted(_E_GRID_GeV, e_nu_GeV)), len(_E_GRID_GeV) - 1)
    u = float(np.interp(uniform, cdf[row], _U_GRID))
    return u ** 3


def res_cross_section_shape(e_nu_GeV) -> np.ndarray:
    """Relative Delta-production cross section: threshold rise, then flat above 1.5 GeV (§5.6)."""
    e_nu = np.asarray(e_nu_GeV, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(e_nu > RES_THRESHOLD_GeV, (1.0 - RES_THRESHOLD_GeV / e_nu) ** 2, 0.0)
    return rise * np.minimum(e_nu, RES_SATURATION_GeV)


def dis_threshold_GeV(lepton_mass_GeV: float) -> float:
    """Lowest neutrino energy giving W >= DIS_W_MIN_GeV on a nucleon at rest."""
    return ((DIS_W_MIN_GeV + lepton_mass_GeV) ** 2 - NUCLEON_MASS_GeV ** 2) / (2.0 * NUCLEON_MASS_GeV)


def dis_cross_section_shape(e_nu_GeV, lepton_mass_GeV: float) -> np.ndarray:
    """Relative DIS cross section: rises linearly with E above the W > W_min threshold."""
    e_nu = np.asarray(e_nu_GeV, dtype=float)
    return np.maximum(e_nu - dis_threshold_GeV(lepton_mass_GeV), 0.0)
