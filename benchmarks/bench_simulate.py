"""Simulator speed: events/s on one core for (a) 3 x 256^2 vertex crops and (b) SBND full readouts
with cosmics, with the time split by stage (generate / transport / response) to show what limits it.

    python benchmarks/bench_simulate.py [--events-crop 300] [--events-full 20]

Run with one thread per process (set below) so the figures are per core. Goals: (a) >= 100 events/s,
(b) >= 5 events/s.
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
from argonet.sim.detector import get_detector  # noqa: E402
from argonet.sim.generators import generate  # noqa: E402
from argonet.sim.pipeline import event_rng, simulate_event  # noqa: E402
from argonet.sim.response import respond  # noqa: E402
from argonet.sim.transport import transport  # noqa: E402


def measure(name: str, overrides: list[str], n_events: int) -> dict:
    """Time each stage over n_events after one warm-up event (numba compilation excluded)."""
    cfg = compose("simulate", SimulateConfig, overrides + [f"n_events={n_events}"])
    det = get_detector(cfg.detector)
    stage = {"generate": 0.0, "transport": 0.0, "response": 0.0}
    n_dep = n_pix = 0
    for i in range(-1, n_events):
        rng = event_rng(cfg.seed, max(i, 0))
        t0 = time.perf_counter()
        prim, truth = generate(cfg.generator, det, rng)
        t1 = time.perf_counter()
        dep, _ = transport(prim, cfg.physics, rng, det.active_min_cm, det.active_max_cm)
        t2 = time.perf_counter()
        charge, _, _ = respond(dep, det, cfg.response, cfg.image, rng, vertex_cm=tuple(truth.vertex_cm),
                               vertex_t_ns=truth.vertex_t_ns, recombination=cfg.physics.recombination)
        t3 = time.perf_counter()
        if i >= 0:
            stage["generate"] += t1 - t0
            stage["transport"] += t2 - t1
            stage["response"] += t3 - t2
            n_dep += len(dep)
            n_pix += sum(len(c.index) for c in charge)
    total = sum(stage.values())
    print(f"\n{name}  ({n_events} events, {' '.join(overrides)})")
    print(f"  {n_events / total:8.1f} events/s/core   ({1e3 * total / n_events:.2f} ms/event)")
    for k, v in stage.items():
        print(f"    {k:<10} {1e3 * v / n_events:8.2f} ms/event  ({100 * v / total:4.1f} %)")
    print(f"  mean deposits/event {n_dep / n_events:.0f}, stored pixels/event {n_pix / n_events:.0f}")
    return {"events_per_s": n_events / total, **stage}


def measure_events(name: str, overrides: list[str], n_events: int) -> float:
    """Whole events through simulate_event (what argonet simulate runs, 39Ar included), after one warm-up event;
    prints and returns events per CPU-second."""
    cfg = compose("simulate", SimulateConfig, overrides + [f"n_events={n_events + 1}"])
    det = get_detector(cfg.detector)
    simulate_event(cfg, n_events, det)
    cpu, wall = time.process_time(), time.perf_counter()
    n_pix = sum(len(c.index) for i in range(n_events) for c in simulate_event(cfg, i, det).charge)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"\n{name}  ({n_events} events, {' '.join(overrides)})")
    print(f"  {n_events / cpu:8.1f} events per CPU-second ({1e3 * cpu / n_events:.0f} CPU-ms/event, "
          f"{1e3 * wall / n_events:.0f} ms/event wall), stored pixels/event {n_pix / n_events:.0f}")
    return n_events / cpu


def dense_noise_baseline(n_events: int, shape: tuple[int, int] = (2048, 1280), planes: int = 3,
                         rms_ADC: float = 2.45, coherent_ADC: float = 0.5, threshold_ADC: float = 5.0) -> float:
    """The plain way to noise a full readout: draw every pixel with numpy, add the noise of each
    32-wire group, round, zero-suppress. Returns ms per event (noise and suppression only)."""
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(n_events):
        for _ in range(planes):
            value = rng.normal(0.0, rms_ADC, shape).astype(np.float32)
            value += np.repeat(rng.normal(0.0, coherent_ADC, (shape[0] // 32, shape[1])), 32, axis=0)
            value = np.rint(value)
            ids = np.flatnonzero(value > threshold_ADC)
            _ = value.reshape(-1)[ids]
    return 1e3 * (time.perf_counter() - start) / n_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-crop", type=int, default=300)
    parser.add_argument("--events-full", type=int, default=20)
    args = parser.parse_args()
    a = measure("(a) 3 x 256 x 256 vertex crops, BNB neutrino interactions, noise on",
                ["generator=interactions", "image.mode=crop"], args.events_crop)
    b = measure("(b) SBND full readout 3 x 2048 x 1280 (x4 ticks), neutrino + cosmics, noise on",
                ["generator=interactions", "generator.cosmics=true", "image.mode=full"], args.events_full)
    full = ["generator=interactions", "generator.cosmics=true", "image.mode=full"]
    before = measure_events("(c) full readout, whole events, earlier model (raw noise, balanced classes, no 39Ar)",
                            full + ["response.signal_processing=off", "generator.sample=classes",
                                    "generator.ar39_Bq_per_kg=0"], args.events_full)
    after = measure_events("(d) full readout, whole events, default processed-readout model", full, args.events_full)
    dense_ms = dense_noise_baseline(max(3, args.events_full // 4))
    print("\nside by side, full readout: argonet's whole response stage (drift, binning, exact sparse noise,"
          " digitisation, zero suppression) {:.1f} ms/event vs the plain dense-numpy noise + zero suppression"
          " alone {:.1f} ms/event".format(1e3 * b["response"] / args.events_full, dense_ms))
    print("\nsummary (events/s/core):  crops {:.1f} (goal 100)   full+cosmics {:.1f} (goal 5)".format(
        a["events_per_s"], b["events_per_s"]))
    print("whole full-readout events per CPU-second: earlier model {:.1f}, processed-readout model {:.1f}".format(
        before, after))


if __name__ == "__main__":
    main()
