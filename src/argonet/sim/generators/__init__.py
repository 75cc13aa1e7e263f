"""Event generators: neutrino interactions, particle gun, cosmic muons (lartpc-physics.md §5, §6, §8).

``generate`` is the one entry point of the simulation pipeline: it returns one event's primaries
(``PRIMARY_DTYPE``: MeV/c, cm, ns after the trigger) and its ``Truth``.
"""

from __future__ import annotations

import numpy as np

from argonet.conf.generators import (
    CosmicsGenerator,
    GeneratorConfig,
    GunGenerator,
    InteractionsGenerator,
    VertexGenerator,
)
from argonet.errors import ConfigError
from argonet.event import Truth
from argonet.sim.detector import Detector
from argonet.sim.generators import dune_flux, flux
from argonet.sim.generators.cosmics import sample_cosmics
from argonet.sim.generators.gun import shoot
from argonet.sim.generators.neutrino import sample_interaction

__all__ = ["generate", "sample_cosmics"]

EVENT_GENERATORS = ("interactions", "gun", "cosmics")
FLUX_MAX_GeV = {"bnb": flux.BNB_TABLE_MAX_GeV, "dune": dune_flux.FLUX_MAX_GeV}   # default nu_energy_GeV_max
INVISIBLE_PDG = (12, 14, 16, 2112)   # neutrinos and neutrons leave no ionisation of their own
MAX_REDRAWS = 1000


def has_visible(primaries: np.ndarray) -> bool:
    """Whether any primary ionises (charged) or converts (photon, pi0): an NC elastic on a neutron does not."""
    return bool(np.any(~np.isin(np.abs(primaries["pdg"]), INVISIBLE_PDG)))


def _draw_class(cfg: InteractionsGenerator, rng: np.random.Generator) -> str:
    """An interaction class from cfg.classes with cfg.class_weights (None: balanced)."""
    weights = cfg.class_weights or [1.0] * len(cfg.classes)
    r = rng.random() * sum(weights)
    for name, w in zip(cfg.classes, weights):
        r -= w
        if r < 0:
            return name
    return cfg.classes[-1]


def _momentum_range(cfg: GunGenerator) -> tuple[float, float] | None:
    """The gun's momentum range (MeV/c), or None to draw kinetic energy."""
    return None if cfg.p_MeV_min is None or cfg.p_MeV_max is None else (cfg.p_MeV_min, cfg.p_MeV_max)


def generate(cfg: GeneratorConfig, detector: Detector, rng: np.random.Generator) -> tuple[np.ndarray, Truth]:
    """One event's primaries (PRIMARY_DTYPE) and its truth, for the interactions, gun or cosmics generator.

    For interactions/gun with cfg.cosmics=True, cosmic muons are appended (semantic=COSMIC) and
    Truth.n_cosmics set; for the cosmics generator the class is 'COSMIC'.
    """
    if isinstance(cfg, CosmicsGenerator):
        cosmics = sample_cosmics(detector, rng, cfg.cosmic_flux_scale)
        return cosmics, Truth(class_name="COSMIC", n_cosmics=len(cosmics))
    if isinstance(cfg, InteractionsGenerator):
        primaries, truth = _interaction(cfg, detector, rng)
    elif isinstance(cfg, GunGenerator):
        primaries, truth = shoot(cfg.particles, detector, rng, ke_MeV_min=cfg.ke_MeV_min, ke_MeV_max=cfg.ke_MeV_max,
                                 direction=cfg.direction, ke_spectrum=cfg.ke_spectrum,
                                 margin_cm=cfg.fiducial_margin_cm, p_MeV=_momentum_range(cfg),
                                 cone_deg=cfg.beam_cone_deg, spot_sigma_cm=cfg.beam_spot_sigma_cm)
    else:
        raise ConfigError("generator.name", f"{cfg.name!r} does not make LArTPC events", EVENT_GENERATORS)
    if isinstance(cfg, VertexGenerator) and cfg.cosmics:
        cosmics = sample_cosmics(detector, rng, cfg.cosmic_flux_scale)
        primaries = np.concatenate([primaries, cosmics])
        truth.n_cosmics = len(cosmics)
    return primaries, truth


def _interaction(cfg: InteractionsGenerator, detector: Detector, rng: np.random.Generator) -> tuple[np.ndarray, Truth]:
    """One neutrino interaction of a class drawn from cfg.classes, redrawn while nothing in it is visible."""
    class_name = _draw_class(cfg, rng)
    e_max = cfg.nu_energy_GeV_max if cfg.nu_energy_GeV_max is not None else FLUX_MAX_GeV[cfg.flux]
    for _ in range(MAX_REDRAWS):
        primaries, truth = sample_interaction(
            class_name, detector, rng, e_max_GeV=e_max, margin_cm=cfg.fiducial_margin_cm,
            fermi_motion=cfg.fermi_motion, fsi=cfg.fsi, neutrons=cfg.neutrons, beam=cfg.flux)
        if not cfg.require_visible or has_visible(primaries):
            return primaries, truth
    raise ConfigError("generator.require_visible", f"{MAX_REDRAWS} draws of interactions generator class "
                      f"{class_name} (flux {cfg.flux}, nu_energy_GeV_max {e_max}, fiducial_margin_cm "
                      f"{cfg.fiducial_margin_cm}, fsi {cfg.fsi}, neutrons {cfg.neutrons} in {detector.name}) "
                      "gave no visible primary; change the class or set generator.require_visible=false")
