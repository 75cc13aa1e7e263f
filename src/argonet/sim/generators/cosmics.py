"""Surface cosmic muons over one readout (lartpc-physics.md §6).

Muons cross a horizontal plane at the height of the active volume's top face, enlarged on each
side by max(2 m, 3 x detector height) so that steep side-entering muons are kept too. Their
number is Poisson with mean F_h x plane area x window x flux_scale (F_h = 167 Hz/m^2, all
momenta); cos(zenith) follows cos^3 (intensity ∝ cos^2 times the projected area of the plane),
azimuth is uniform, and the energy follows the vertical Guan et al. spectrum (a Gaisser formula
with a low-energy modification; mean 4.4 GeV), taken for every zenith angle so that the
angular law stays exactly cos^3 as in §6's rate numbers. Muons whose straight line misses the
active volume are dropped; the others start where they enter it, at the time they get there
(the plane crossing time is uniform over ``detector.cosmic_window_us``). mu+/mu- = 1.268.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from argonet import units
from argonet.errors import ConfigError
from argonet.event import Semantic
from argonet.sim.deposits import PRIMARY_DTYPE
from argonet.sim.detector import Detector
from argonet.sim.generators.placement import box_entry

PLANE_MARGIN_MIN_CM = 200.0
PLANE_MARGIN_HEIGHTS = 3.0
SPECTRUM_KE_MIN_GeV = 0.001          # lowest kinetic energy sampled
SPECTRUM_E_MAX_GeV = 1.0e4
MU_PLUS_FRACTION = units.cosmic_mu_plus_over_mu_minus / (1.0 + units.cosmic_mu_plus_over_mu_minus)
_MUON_MASS_GeV = units.muon_mass_MeV / units.MeV_per_GeV
_ENTRY_NUDGE_CM = 1.0e-4             # start just inside the active volume


def guan_vertical_intensity(e_GeV) -> np.ndarray:
    """Vertical muon intensity dI/dE (cm^-2 s^-1 sr^-1 GeV^-1) at sea level, Guan et al. [S35]."""
    e = np.asarray(e_GeV, dtype=float)
    low = e * (1.0 + units.guan_low_energy_GeV / e)      # cos(theta*) = 1 for the vertical
    return (units.guan_norm_per_cm2_s_sr_GeV * low ** -units.guan_spectral_index
            * (1.0 / (1.0 + e / units.guan_pion_critical_GeV)
               + units.guan_kaon_weight / (1.0 + e / units.guan_kaon_critical_GeV)))


@lru_cache(maxsize=1)
def _energy_table() -> tuple[np.ndarray, np.ndarray]:
    """log(E/GeV) grid and the CDF of the vertical spectrum over it."""
    energy = np.geomspace(_MUON_MASS_GeV + SPECTRUM_KE_MIN_GeV, SPECTRUM_E_MAX_GeV, 4096)
    density = guan_vertical_intensity(energy) * energy           # per unit log E
    steps = 0.5 * (density[1:] + density[:-1]) * np.diff(np.log(energy))
    cdf = np.concatenate([[0.0], np.cumsum(steps)])
    return np.log(energy), cdf / cdf[-1]


def sample_muon_energy_GeV(rng: np.random.Generator, size: int) -> np.ndarray:
    """Total muon energies (GeV) from the vertical Guan spectrum."""
    log_e, cdf = _energy_table()
    return np.exp(np.interp(rng.random(size), cdf, log_e))


def mean_muon_energy_GeV() -> float:
    """Mean total energy of the sampled spectrum (GeV), from its table."""
    log_e, cdf = _energy_table()
    return float(np.sum(np.diff(cdf) * np.exp(0.5 * (log_e[1:] + log_e[:-1]))))


def generation_plane_cm(detector: Detector) -> tuple[float, float, float, float, float]:
    """(x_min, x_max, z_min, z_max, y) of the horizontal plane where muons are started."""
    lo, hi = detector.active_min_cm, detector.active_max_cm
    margin = max(PLANE_MARGIN_MIN_CM, PLANE_MARGIN_HEIGHTS * (hi[1] - lo[1]))
    return lo[0] - margin, hi[0] + margin, lo[2] - margin, hi[2] + margin, hi[1]


def expected_plane_muons(detector: Detector, flux_scale: float = 1.0) -> float:
    """Mean number of muons crossing the generation plane during the cosmic window."""
    x0, x1, z0, z1, _ = generation_plane_cm(detector)
    area_m2 = (x1 - x0) * (z1 - z0) * 1e-4
    window_s = (detector.cosmic_window_us[1] - detector.cosmic_window_us[0]) * 1e-6
    return units.cosmic_muon_flux_horizontal_per_m2_s * area_m2 * window_s * flux_scale


def sample_cosmics(detector: Detector, rng: np.random.Generator, flux_scale: float = 1.0) -> np.ndarray:
    """Cosmic muons of one readout entering the active volume (PRIMARY_DTYPE, semantic COSMIC)."""
    if not 0.0 <= flux_scale <= 100.0:
        raise ConfigError("generator.cosmic_flux_scale", f"must be in [0, 100] (got {flux_scale})")
    n = int(rng.poisson(expected_plane_muons(detector, flux_scale)))
    x0, x1, z0, z1, y_plane = generation_plane_cm(detector)
    cos_t = rng.random(n) ** 0.25                     # CDF cos^4: p(cos) ∝ cos^3
    sin_t = np.sqrt(1.0 - cos_t * cos_t)
    phi = 2.0 * np.pi * rng.random(n)
    direction = np.stack([sin_t * np.cos(phi), -cos_t, sin_t * np.sin(phi)], axis=1)
    start = np.stack([x0 + (x1 - x0) * rng.random(n), np.full(n, y_plane), z0 + (z1 - z0) * rng.random(n)], axis=1)
    t_plane_ns = 1000.0 * (detector.cosmic_window_us[0]
                           + (detector.cosmic_window_us[1] - detector.cosmic_window_us[0]) * rng.random(n))
    energy = sample_muon_energy_GeV(rng, n)
    positive = rng.random(n) < MU_PLUS_FRACTION
    s_in, hit = box_entry(start, direction, detector.active_min_cm, detector.active_max_cm)
    s_in = s_in[hit] + _ENTRY_NUDGE_CM
    direction, energy = direction[hit], energy[hit]
    p_MeV = np.sqrt(energy ** 2 - _MUON_MASS_GeV ** 2) * units.MeV_per_GeV
    beta = p_MeV / (energy * units.MeV_per_GeV)
    out = np.zeros(int(hit.sum()), PRIMARY_DTYPE)
    out["pdg"] = np.where(positive[hit], -13, 13)
    entry = start[hit] + s_in[:, None] * direction
    for axis, name in enumerate("xyz"):
        out[f"p{name}_MeV"] = p_MeV * direction[:, axis]
        out[f"{name}_cm"] = entry[:, axis]
    out["t_ns"] = t_plane_ns[hit] + s_in / (beta * units.speed_of_light_cm_per_ns)
    out["semantic"] = Semantic.COSMIC
    return out
