"""DUNE far-detector simulation speed: events/s on one core per CVN flavour class, for hit-based CVN
pixel maps (image.mode=cvn) side by side with plain 3 × 256² vertex crops of the same events
(image.mode=crop), with the time split by stage.

    python benchmarks/bench_cvn_maps.py [--events 40]

Run with one thread per process (set below) so the figures are per core. Goal: a 20k-event
training sample in ~30 minutes on 2 cores, i.e. >= 5.6 events/s per core over the four classes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from argonet.conf.compose import compose  # noqa: E402
from argonet.conf.sim import SimulateConfig  # noqa: E402
from argonet.sim.cvn_maps import cvn_maps  # noqa: E402
from argonet.sim.deposits import Deposits  # noqa: E402
from argonet.sim.detector import get_detector  # noqa: E402
from argonet.sim.generators import generate  # noqa: E402
from argonet.sim.generators.neutrons import secondary_neutron_primaries  # noqa: E402
from argonet.sim.pipeline import event_rng  # noqa: E402
from argonet.sim.response import respond  # noqa: E402
from argonet.sim.transport import transport  # noqa: E402

CLASSES = ("NUMU_CC", "NUE_CC", "NUTAU_CC", "NC")
BASE = ["detector=dune_fd", "generator=dune", "physics.shower_cut_MeV=0.3"]


def measure(class_name: str, n_events: int) -> dict:
    """Seconds per stage over n_events (after one warm-up event), both image modes on the same deposits."""
    cfg = compose("simulate", SimulateConfig, BASE + [f"generator.classes=[{class_name}]", f"n_events={n_events}"])
    crop = compose("simulate", SimulateConfig, BASE + ["image.mode=crop"]).image
    det = get_detector(cfg.detector)
    box = (det.active_min_cm, det.active_max_cm)
    stage = {"generate": 0.0, "transport": 0.0, "cvn": 0.0, "crop": 0.0}
    pixels = []
    for i in range(-1, n_events):
        rng = event_rng(cfg.seed, max(i, 0))
        t0 = time.perf_counter()
        prim, truth = generate(cfg.generator, det, rng)
        t1 = time.perf_counter()
        dep, particles = transport(prim, cfg.physics, rng, *box)
        extra = secondary_neutron_primaries(particles, box, rng)
        if len(extra):
            more, _ = transport(extra, cfg.physics, rng, *box, first_track_id=int(particles["track_id"].max()) + 1)
            dep = Deposits.concat([dep, more])
        t2 = time.perf_counter()
        maps, _, _ = cvn_maps(dep, det, cfg.response, rng, tuple(truth.vertex_cm))
        t3 = time.perf_counter()
        respond(dep, det, cfg.response, crop, rng, vertex_cm=tuple(truth.vertex_cm), vertex_t_ns=truth.vertex_t_ns)
        t4 = time.perf_counter()
        if i >= 0:
            for name, dt in zip(stage, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                stage[name] += dt
            pixels.append(sum(len(m.index) for m in maps))
    stage["pixels"] = float(np.median(pixels))
    return stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40, help="events per class")
    args = parser.parse_args()
    print(f"{'class':9s} {'gen ms':>7s} {'transp ms':>9s} {'cvn ms':>7s} {'crop ms':>8s}  "
          f"{'cvn ev/s':>8s} {'crop ev/s':>9s}  median CVN pixels")
    total = {"cvn": 0.0, "crop": 0.0}
    for name in CLASSES:
        s = measure(name, args.events)
        common = s["generate"] + s["transport"]
        per = {k: 1000.0 * v / args.events for k, v in s.items() if k != "pixels"}
        print(f"{name:9s} {per['generate']:7.1f} {per['transport']:9.1f} {per['cvn']:7.1f} {per['crop']:8.1f}  "
              f"{args.events / (common + s['cvn']):8.1f} {args.events / (common + s['crop']):9.1f}  {s['pixels']:.0f}")
        total["cvn"] += common + s["cvn"]
        total["crop"] += common + s["crop"]
    n = args.events * len(CLASSES)
    rate = n / total["cvn"]
    print(f"balanced mix: {rate:.1f} events/s per core with CVN maps, {n / total['crop']:.1f} with crops; "
          f"20k CVN events on 2 cores: {20000 / (2 * rate) / 60:.0f} min")


if __name__ == "__main__":
    main()
