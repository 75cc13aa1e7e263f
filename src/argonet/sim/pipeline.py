"""One simulated event: generator → transport → detector response → ``Event``.

With ``generator.neutrons`` the neutrons of every nuclear break-up during transport are followed
too (generators/neutrons.py) and what they leave is transported in a second pass. The response
is the plane images of response.py, or with ``image.mode=cvn`` the hit-based DUNE CVN maps of
cvn_maps.py.

Every event has its own random stream seeded by ``(seed, event index)``, so a sample made in N
shards is identical, event for event, to the same sample made in one process.
"""

from __future__ import annotations

import numpy as np

from argonet.conf.sim import SimulateConfig
from argonet.event import Event, Semantic, Truth
from argonet.sim.cvn_maps import cvn_maps
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector, get_detector
from argonet.sim.generators import generate
from argonet.sim.generators.neutrons import secondary_neutron_primaries
from argonet.sim.generators.radiologicals import ar39_deposits
from argonet.sim.response import respond
from argonet.sim.transport import transport


def event_rng(seed: int, index: int) -> np.random.Generator:
    """The independent random stream of event ``index`` of a sample seeded with ``seed``."""
    return np.random.default_rng([seed, index])


def shard_indices(cfg: SimulateConfig) -> range:
    """The event indices this shard makes: i, i+N, i+2N, ... below n_events."""
    return range(cfg.shard_index, cfg.n_events, cfg.shard_count)


def simulate_event(cfg: SimulateConfig, index: int, detector: Detector | None = None) -> Event:
    """Event number ``index`` of the sample described by ``cfg`` (deterministic)."""
    detector = detector or get_detector(cfg.detector)
    rng = event_rng(cfg.seed, index)
    primaries, truth = generate(cfg.generator, detector, rng)
    deposits, particles = transport(primaries, cfg.physics, rng, detector.active_min_cm, detector.active_max_cm)
    if cfg.generator.neutrons:            # what the neutrons of nuclear break-ups during transport leave
        box = (detector.active_min_cm, detector.active_max_cm)
        extra = secondary_neutron_primaries(particles, box, rng)
        if len(extra):
            more, more_particles = transport(extra, cfg.physics, rng, *box,
                                             first_track_id=int(particles["track_id"].max()) + 1)
            deposits, particles = Deposits.concat([deposits, more]), np.concatenate([particles, more_particles])
    centre = _image_centre(truth, deposits, detector)
    if cfg.generator.ar39_Bq_per_kg:      # radiological blips, labelled background
        deposits = Deposits.concat([deposits, ar39_deposits(detector, cfg.generator.ar39_Bq_per_kg, rng)])
    charge, semantic, kind = detector_response(cfg, deposits, detector, rng, centre, truth.vertex_t_ns)
    return Event(charge=charge, semantic=semantic, kind=kind, particles=particles, truth=truth,
                 run=cfg.seed, subrun=0, event=index)


def detector_response(cfg: SimulateConfig, deposits: Deposits, detector: Detector, rng: np.random.Generator,
                      centre_cm: tuple[float, float, float], vertex_t_ns: float):
    """(charge, semantic, kind) per plane as ``cfg.image`` asks: plane images or DUNE CVN maps."""
    if cfg.image.mode == "cvn":
        return cvn_maps(deposits, detector, cfg.response, rng, centre_cm, recombination=cfg.physics.recombination)
    return respond(deposits, detector, cfg.response, cfg.image, rng, vertex_cm=centre_cm, vertex_t_ns=vertex_t_ns,
                   recombination=cfg.physics.recombination)


def _image_centre(truth: Truth, deposits: Deposits, detector: Detector) -> tuple[float, float, float]:
    """Where a vertex crop is centred: the vertex, or for cosmic-only events the middle of a cosmic."""
    if truth.class_name != "COSMIC":
        return tuple(truth.vertex_cm)
    cosmic = deposits.semantic == Semantic.COSMIC
    if not cosmic.any():
        return detector.center_cm
    first = deposits.track_id[cosmic].min()
    sel = cosmic & (deposits.track_id == first)
    mid = np.flatnonzero(sel)[sel.sum() // 2]
    return (float(deposits.x_cm[mid]), float(deposits.y_cm[mid]), float(deposits.z_cm[mid]))
