"""Simulation speed of the particle-identification sample (LArIAT, beamline gun, raw wire x tick images of
both planes): events per CPU-second on one core, per particle type and over the mix, with the time split
into generation + transport and detector response, beside the same events as 4x-down-sampled ticks.

    python benchmarks/bench_pid_sample.py [--events 20]

One thread per process (set below), so the figures are per core; CPU seconds (process time) are the
measure, wall time is printed beside them (on a shared machine it is longer). The first event of each
particle type is a warm-up (numba compilation) and is not counted.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from argonet.conf.compose import compose  # noqa: E402
from argonet.conf.sim import SimulateConfig  # noqa: E402
from argonet.recipes.pid_sample import WITH_KAONS, simulate_overrides  # noqa: E402
from argonet.sim.detector import get_detector  # noqa: E402
from argonet.sim.generators import generate  # noqa: E402
from argonet.sim.pipeline import event_rng  # noqa: E402
from argonet.sim.response import respond  # noqa: E402
from argonet.sim.transport import transport  # noqa: E402


def measure(particle: str, n_events: int, tick_downsample: int) -> dict:
    """CPU and wall seconds per stage over n_events after one warm-up event."""
    overrides = simulate_overrides(n_events + 1, "bench.h5", tick_downsample=tick_downsample)
    overrides = [o for o in overrides if not o.startswith("generator.particles=")] + [
        f"generator.particles=[{particle}]"]
    cfg = compose("simulate", SimulateConfig, overrides)
    detector = get_detector(cfg.detector)
    cpu = {"transport": 0.0, "response": 0.0}
    wall0 = time.perf_counter()
    for index in range(n_events + 1):
        rng = event_rng(cfg.seed, index)
        t0 = time.process_time()
        primaries, truth = generate(cfg.generator, detector, rng)
        deposits, _ = transport(primaries, cfg.physics, rng, detector.active_min_cm, detector.active_max_cm)
        t1 = time.process_time()
        respond(deposits, detector, cfg.response, cfg.image, rng, vertex_cm=truth.vertex_cm,
                recombination=cfg.physics.recombination)
        t2 = time.process_time()
        if index == 0:
            wall0 = time.perf_counter()
            continue
        cpu["transport"] += t1 - t0
        cpu["response"] += t2 - t1
    wall = time.perf_counter() - wall0
    total = cpu["transport"] + cpu["response"]
    return {"particle": particle, "tick_downsample": tick_downsample, "events": n_events,
            "cpu_s_per_event": total / n_events, "transport_cpu_s": cpu["transport"] / n_events,
            "response_cpu_s": cpu["response"] / n_events, "wall_s_per_event": wall / n_events}


def main() -> None:
    """Print the per-particle table and the time for 50k events on 1 and 2 cores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    rows = [measure(p, args.events, ds) for ds in (1, 4) for p in WITH_KAONS]
    for r in rows:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}))
    for ds in (1, 4):
        mix = [r["cpu_s_per_event"] for r in rows if r["tick_downsample"] == ds and r["particle"] != "K+"]
        per_event = sum(mix) / len(mix)
        print(f"tick_downsample={ds}: {1 / per_event:.2f} events per CPU-second (e-, gamma, mu-, pi-, p mixed evenly); "
              f"50k events: {50_000 * per_event / 3600:.2f} CPU-hours = {50_000 * per_event / 7200:.2f} h on 2 cores")


if __name__ == "__main__":
    main()
