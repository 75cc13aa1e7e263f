"""One simulated event: generator → transport → detector response → ``Event``.

Every event has its own random stream seeded by ``(seed, event index)``, so a sample made in N
shards is identical, event for event, to the same sample made in one process.
"""

from __future__ import annotations

import numpy as np

from argonet.conf.sim import SimulateConfig
from argonet.event import Event, Semantic, Truth
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector, get_detector
from argonet.sim.generators import generate
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
    centre = _image_centre(truth, deposits, detector)
    charge, semantic, kind = respond(deposits, detector, cfg.response, cfg.image, rng,
                                     vertex_cm=centre, vertex_t_ns=truth.vertex_t_ns,
                                     recombination=cfg.physics.recombination)
    return Event(charge=charge, semantic=semantic, kind=kind, particles=particles, truth=truth,
                 run=cfg.seed, subrun=0, event=index)


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
