"""The Booster Neutrino Beam numu flux and neutrino-energy sampling (lartpc-physics.md §5.1, §5.6).

The flux is the §5.1 table (0.1 GeV bins, 0-3 GeV, flat inside a bin). The 0.6 % of the flux
above 3 GeV is continued as an exponential of slope 1 GeV, which joins the last bin's density
(0.006 /GeV) and integrates to that 0.6 %; it only matters when ``nu_energy_GeV_max`` > 3.
Interaction energies follow flux x sigma_class(E) (§5.6).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.sim.generators import xsec

#: Normalised BNB numu flux per 0.1 GeV bin, 0-0.1 ... 2.9-3.0 GeV (§5.1, MicroBooNE MCC9 flux [S20]).
BNB_NUMU_FLUX = np.array([
    0.0204, 0.0457, 0.0651, 0.0745, 0.0825, 0.0859, 0.0847, 0.0821, 0.0767, 0.0699,
    0.0623, 0.0543, 0.0461, 0.0379, 0.0297, 0.0224, 0.0163, 0.0115, 0.0078, 0.0051,
    0.0034, 0.0022, 0.0016, 0.0012, 0.0009, 0.0008, 0.0007, 0.0007, 0.0006, 0.0006,
])
BNB_BIN_GeV = 0.1
BNB_TABLE_MAX_GeV = 3.0
BNB_TAIL_FRACTION = 0.006            # §5.1: 0.6 % of the flux lies above 3 GeV
_TAIL_SLOPE_GeV = BNB_TAIL_FRACTION / (BNB_NUMU_FLUX[-1] / BNB_BIN_GeV)   # = 1 GeV

#: Which sigma(E) weights the flux for each kind of interaction.
SPECTRA = ("flux", "qe_mu", "qe_e", "qe_nc", "res", "dis_mu", "dis_e", "dis_nc")
_LEPTON_MASS_GeV = {"mu": units.muon_mass_MeV / units.MeV_per_GeV,
                    "e": units.electron_mass_MeV / units.MeV_per_GeV, "nc": 0.0}
_FINE_BIN_GeV = 0.005                # sampling resolution of flux x sigma


def bnb_flux_density(e_nu_GeV) -> np.ndarray:
    """numu flux per GeV (normalised to 1 over all energies) at energies e_nu_GeV."""
    e_nu = np.asarray(e_nu_GeV, dtype=float)
    index = np.clip((e_nu / BNB_BIN_GeV).astype(int), 0, len(BNB_NUMU_FLUX) - 1)
    table = BNB_NUMU_FLUX[index] / BNB_BIN_GeV
    tail = BNB_NUMU_FLUX[-1] / BNB_BIN_GeV * np.exp(-(e_nu - BNB_TABLE_MAX_GeV) / _TAIL_SLOPE_GeV)
    return np.where(e_nu < 0, 0.0, np.where(e_nu < BNB_TABLE_MAX_GeV, table, tail))


def cross_section_shape(spectrum: str, e_nu_GeV) -> np.ndarray:
    """Relative sigma(E) of one of SPECTRA (absolute cm^2 for the QE ones)."""
    e_nu = np.asarray(e_nu_GeV, dtype=float)
    kind, _, lepton = spectrum.partition("_")
    if kind == "flux":
        return np.ones_like(e_nu)
    if kind == "qe":
        return xsec.ccqe_cross_section_cm2(e_nu, _LEPTON_MASS_GeV[lepton])
    if kind == "res":
        return xsec.res_cross_section_shape(e_nu)
    if kind == "dis":
        return xsec.dis_cross_section_shape(e_nu, _LEPTON_MASS_GeV[lepton])
    raise ConfigError("spectrum", f"unknown spectrum {spectrum!r}", SPECTRA)


@lru_cache(maxsize=32)
def _energy_table(spectrum: str, e_max_GeV: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower edges and CDF of flux x sigma in _FINE_BIN_GeV bins up to e_max_GeV."""
    edges = np.arange(0.0, e_max_GeV + 0.5 * _FINE_BIN_GeV, _FINE_BIN_GeV)
    edges[-1] = e_max_GeV
    edges = np.unique(np.append(edges, min(energy_threshold_GeV(spectrum), e_max_GeV)))
    centres = 0.5 * (edges[1:] + edges[:-1])
    weight = bnb_flux_density(centres) * cross_section_shape(spectrum, centres) * np.diff(edges)
    total = weight.sum()
    if not total > 0:
        raise ConfigError("generator.nu_energy_GeV_max",
                          f"no {spectrum} interactions below {e_max_GeV} GeV (threshold not reached)")
    return edges, np.cumsum(weight) / total


def energy_threshold_GeV(spectrum: str) -> float:
    """Lowest neutrino energy at which the spectrum is non-zero (GeV)."""
    kind, _, lepton = spectrum.partition("_")
    if kind == "res":
        return xsec.RES_THRESHOLD_GeV
    if kind == "dis":
        return xsec.dis_threshold_GeV(_LEPTON_MASS_GeV[lepton])
    return 0.0


def sample_energy_GeV(spectrum: str, rng: np.random.Generator, e_max_GeV: float = BNB_TABLE_MAX_GeV,
                      size: int | None = None):
    """Neutrino energies (GeV) distributed as BNB flux x sigma_spectrum(E), below e_max_GeV."""
    if spectrum not in SPECTRA:
        raise ConfigError("spectrum", f"unknown spectrum {spectrum!r}", SPECTRA)
    if e_max_GeV <= energy_threshold_GeV(spectrum):
        raise ConfigError("generator.nu_energy_GeV_max",
                          f"{e_max_GeV} GeV is below the {spectrum} threshold "
                          f"({energy_threshold_GeV(spectrum):.2f} GeV)")
    edges, cdf = _energy_table(spectrum, float(e_max_GeV))
    u = rng.random(size)
    index = np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
    low, width = edges[index], edges[index + 1] - edges[index]
    energy = low + width * rng.random(size)
    return float(energy) if size is None else energy


def mean_energy_GeV(spectrum: str = "flux", e_max_GeV: float = BNB_TABLE_MAX_GeV) -> float:
    """Mean neutrino energy of flux x sigma below e_max_GeV (exact for the binned tables)."""
    edges, cdf = _energy_table(spectrum, float(e_max_GeV))
    prob = np.diff(np.concatenate([[0.0], cdf]))
    return float(np.sum(prob * 0.5 * (edges[1:] + edges[:-1])))
