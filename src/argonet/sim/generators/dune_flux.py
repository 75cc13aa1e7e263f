"""The LBNF (DUNE) neutrino-mode beam: flux tables, cross sections per process, energies and processes.

Flux: the DUNE TDR-configuration neutrino-mode (FHC) flux released with arXiv:2103.04797
("Experiment simulation configurations approximating DUNE TDR"), as tabulated per 0.25 GeV in
mhostert/DarkNews-generator ``src/DarkNews/include/fluxes/DUNE_ND_FHC.dat`` (near-detector
location; the unoscillated far-detector spectrum has nearly the same shape above 1 GeV, the
near detector seeing a slightly broader low-energy part). Kept here: the nu_mu and nu_e columns,
per 0.25 GeV to 5 GeV, then averaged over 1 GeV to 40 GeV (relative units; beyond 40 GeV the
table is cut). The nu_mu flux peaks at 2.1-2.6 GeV; the beam nu_e are broader and harder.

Which flux makes which class: NUMU_CC, NUTAU_CC (the CVN's nu_tau samples are nu_mu fluxes
swapped to nu_tau) and NC from the nu_mu flux; NUE_CC from the beam nu_e (the real CVN nu_e
sample carries unoscillated weights ≈ 1, i.e. is beam nu_e). Event energies follow
flux × sigma_class(E), and the process of an event (QE, RES, DIS) is drawn with probability
sigma_process(E) / sigma_class(E) at its energy, so the mix moves from QE/RES to DIS with energy.

Cross sections per argon nucleon (cm^2), lepton mass m_l:
* QE: the free-nucleon Llewellyn-Smith sigma (xsec.py, per neutron) × N/A = 22/40 × 0.8, the
  0.8 for Pauli blocking and binding in argon (a Fermi gas lowers sigma_QE by 15-30 %, §5.3);
* RES: RES_SATURATION_CM2 × (1 - E_th/E)^2 × min(E, 1.5 GeV)/1.5 GeV, E_th the W = 1.08 GeV
  threshold with m_l (the §5.6 shape). The plateau, 0.8e-38 cm^2 per nucleon, is the upper end
  of the compilation of Formaggio & Zeller, Rev. Mod. Phys. 84, 1307 (2012), Fig. 10 (0.6-0.8,
  read off), chosen among 0.6, 0.7, 0.8 against the interaction labels of the adapt half of the
  real CVN nu_mu sample only (docs/realism/res_plateau.py, res_plateau.json): with it the nu_mu CC
  mix at DUNE energies is QE 22 % : RES 28 % : DIS 50 %; the adapt half's GENIE labels are
  18 : 29 : 49, plus 4 % other (chi-square 0.85 for 2 dof; 4.0 with 0.6, 1.9 with 0.7);
* DIS: DIS_SLOPE_CM2_PER_GeV × (E - E_th), E_th the W > 1.7 GeV threshold with m_l: the
  isoscalar slope sigma/E = 0.677e-38 cm^2/GeV of the PDG review (neutrino cross sections),
  entering linearly above threshold (the tau mass delays it, which suppresses nu_tau DIS);
* NC: elastic 0.153 × sigma_QE per neutron (BNL E734, Ahrens et al. PRD 35, 785 (1987):
  sigma(nu p → nu p)/sigma(nu n → mu- p) = 0.153); RES and DIS × R_nu = 0.31 (Llewellyn Smith
  relation 1/2 - sin^2 θ_W + 20/27 sin^4 θ_W with sin^2 θ_W = 0.231).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.sim.generators import xsec

# --- flux (relative; nu_mu in 1e-9, nu_e in 1e-11 nu/cm^2/POT/GeV of DUNE_ND_FHC.dat) ---
FLUX_EDGES_GeV = np.concatenate([np.arange(0.0, 5.0, 0.25), np.arange(5.0, 41.0, 1.0)])
NUMU_FLUX = np.array([
    4.22, 8.13, 14.77, 20.88, 26.36, 28.89, 31.43, 35.05, 36.36, 36.28,
    34.89, 31.24, 26.82, 21.95, 16.41, 11.25, 6.83, 3.88, 2.16, 1.34,
    0.817, 0.573, 0.471, 0.425, 0.382, 0.353, 0.313, 0.293, 0.257, 0.210,
    0.159, 0.117, 0.0893, 0.0746, 0.0612, 0.0615, 0.0543, 0.0466, 0.0371, 0.0319,
    0.0318, 0.0255, 0.0228, 0.0201, 0.0212, 0.0147, 0.0124, 0.0133, 0.0106, 0.0112,
    0.0086, 0.0075, 0.0080, 0.0098, 0.0074])
NUE_FLUX = np.array([
    8.63, 19.78, 25.12, 26.87, 27.41, 24.61, 23.24, 21.26, 18.38, 19.90,
    16.56, 15.16, 12.00, 12.12, 11.45, 10.68, 8.98, 7.96, 7.00, 6.90,
    5.71, 4.44, 3.31, 2.82, 2.21, 1.77, 1.375, 1.05, 0.90, 0.727,
    0.53, 0.428, 0.37, 0.289, 0.276, 0.21, 0.183, 0.151, 0.138, 0.114,
    0.091, 0.096, 0.096, 0.066, 0.027, 0.035, 0.036, 0.053, 0.009, 0.028,
    0.047, 0.005, 0.006, 0.0095, 0.0])
FLUX_MAX_GeV = float(FLUX_EDGES_GeV[-1])

# --- cross sections (see the module docstring) ---
QE_NUCLEAR_FACTOR = 0.8
RES_SATURATION_CM2 = 0.8e-38
RES_W_MIN_GeV = 1.08                 # the Delta toy's lowest W (neutrino.DELTA_W_RANGE_GeV)
DIS_SLOPE_CM2_PER_GeV = 0.677e-38
NC_ELASTIC_RATIO = 0.153
NC_INELASTIC_RATIO = 0.31
_NUCLEON_GeV = xsec.NUCLEON_MASS_GeV
_FINE_BIN_GeV = 0.01


class Plan(NamedTuple):
    """One event's neutrino and process: flavour pdg, charged lepton (None: NC), process, E_nu (GeV)."""

    nu_pdg: int
    lepton: int | None
    process: str            # qe | res | dis
    e_nu_GeV: float


#: class → (neutrino, charged lepton or None for NC, flux, processes it may use)
DUNE_CLASSES: dict[str, tuple[int, int | None, str, tuple[str, ...]]] = {
    "NUMU_CC": (14, 13, "numu", ("qe", "res", "dis")),
    "NUE_CC": (12, 11, "nue", ("qe", "res", "dis")),
    "NUTAU_CC": (16, 15, "numu", ("qe", "res", "dis")),
    "NC": (14, None, "numu", ("qe", "res", "dis")),
    "CCQE": (14, 13, "numu", ("qe",)),
    "CCRES": (14, 13, "numu", ("res",)),
    "CCDIS": (14, 13, "numu", ("dis",)),
    "NCQE": (14, None, "numu", ("qe",)),
    "NCRES": (14, None, "numu", ("res",)),
    "NC_PI0": (14, None, "numu", ("res",)),
}
_LEPTON_MASS_GeV = {None: 0.0, 11: units.electron_mass_MeV / units.MeV_per_GeV,
                    13: units.muon_mass_MeV / units.MeV_per_GeV, 15: units.tau_mass_MeV / units.MeV_per_GeV}


def flux_density(flavour: str, e_nu_GeV) -> np.ndarray:
    """Relative flux per GeV of the nu_mu ("numu") or beam nu_e ("nue") component, 0 above 40 GeV."""
    table = {"numu": NUMU_FLUX, "nue": NUE_FLUX}[flavour]
    e = np.asarray(e_nu_GeV, dtype=float)
    index = np.searchsorted(FLUX_EDGES_GeV, e, side="right") - 1
    inside = (index >= 0) & (index < len(table))
    return np.where(inside, table[np.clip(index, 0, len(table) - 1)], 0.0)


def _threshold_GeV(w_min_GeV: float, lepton_mass_GeV: float) -> float:
    """Neutrino energy on a nucleon at rest above which W >= w_min is reachable."""
    return ((w_min_GeV + lepton_mass_GeV) ** 2 - _NUCLEON_GeV ** 2) / (2.0 * _NUCLEON_GeV)


def cross_section_cm2(process: str, lepton: int | None, e_nu_GeV) -> np.ndarray:
    """sigma per argon nucleon (cm^2) of qe | res | dis, CC with a lepton (11, 13, 15) or NC (None)."""
    e = np.asarray(e_nu_GeV, dtype=float)
    m_l = _LEPTON_MASS_GeV[lepton]
    nc = lepton is None
    if process == "qe":
        per_neutron = xsec.ccqe_cross_section_cm2(e, m_l)
        return per_neutron * QE_NUCLEAR_FACTOR * (NC_ELASTIC_RATIO if nc else units.argon_neutron_fraction)
    if process == "res":
        e_th = _threshold_GeV(RES_W_MIN_GeV, m_l)
        with np.errstate(divide="ignore", invalid="ignore"):
            rise = np.where(e > e_th, (1.0 - e_th / e) ** 2, 0.0)
        sigma = RES_SATURATION_CM2 * rise * np.minimum(e, xsec.RES_SATURATION_GeV) / xsec.RES_SATURATION_GeV
    elif process == "dis":
        sigma = DIS_SLOPE_CM2_PER_GeV * np.maximum(e - _threshold_GeV(xsec.DIS_W_MIN_GeV, m_l), 0.0)
    else:
        raise ConfigError("process", f"unknown process {process!r}", ("qe", "res", "dis"))
    return sigma * (NC_INELASTIC_RATIO if nc else 1.0)


@lru_cache(maxsize=32)
def _energy_table(class_name: str, e_max_GeV: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower bin edges and CDF of flux × sigma_class in 10 MeV bins up to e_max_GeV."""
    _, lepton, flavour, processes = DUNE_CLASSES[class_name]
    edges = np.arange(0.0, e_max_GeV + _FINE_BIN_GeV, _FINE_BIN_GeV)
    edges = edges[edges <= e_max_GeV]
    centres = 0.5 * (edges[1:] + edges[:-1])
    sigma = sum(cross_section_cm2(p, lepton, centres) for p in processes)
    weight = flux_density(flavour, centres) * sigma
    if not weight.sum() > 0:
        raise ConfigError("generator.nu_energy_GeV_max", f"no {class_name} events below {e_max_GeV} GeV "
                          "(threshold not reached)")
    return edges, np.cumsum(weight) / weight.sum()


def plan(class_name: str, rng: np.random.Generator, e_max_GeV: float = FLUX_MAX_GeV) -> Plan:
    """Neutrino, lepton, process and energy of one event of class_name in the DUNE beam."""
    if class_name not in DUNE_CLASSES:
        raise ConfigError("generator.classes", f"{class_name!r} is not made with the DUNE flux", DUNE_CLASSES)
    nu_pdg, lepton, _, processes = DUNE_CLASSES[class_name]
    edges, cdf = _energy_table(class_name, float(min(e_max_GeV, FLUX_MAX_GeV)))
    k = min(int(np.searchsorted(cdf, rng.random(), side="right")), len(cdf) - 1)
    e_nu = float(edges[k] + (edges[k + 1] - edges[k]) * rng.random())
    sigma = np.array([float(cross_section_cm2(p, lepton, e_nu)) for p in processes])
    if not sigma.sum() > 0:              # at the edge of a threshold bin: the bin's lowest process
        sigma = np.ones(len(processes))
    process = processes[min(int(np.searchsorted(np.cumsum(sigma), rng.random() * sigma.sum(), side="right")),
                            len(processes) - 1)]
    return Plan(nu_pdg, lepton, process, e_nu)


def mean_energy_GeV(class_name: str, e_max_GeV: float = FLUX_MAX_GeV) -> float:
    """Mean neutrino energy of the class's flux × sigma (GeV)."""
    edges, cdf = _energy_table(class_name, float(min(e_max_GeV, FLUX_MAX_GeV)))
    prob = np.diff(np.concatenate([[0.0], cdf]))
    return float(np.sum(prob * 0.5 * (edges[1:] + edges[:-1])))
