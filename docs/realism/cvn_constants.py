"""Re-choose the CVN-map constants of the simulator on the adapt half of the real DUNE CVN events only, then
measure the chosen point once on the test half; writes docs/realism/cvn_constants.json.

    OMP_NUM_THREADS=1 python docs/realism/cvn_constants.py REAL_FOLDER RUNS_DIR [N_EVENTS]

REAL_FOLDER is ../shared/data/dune_cvn/dataset_info; its adapt and test halves are those of
``argonet simtoreal`` (``argonet compare real_events=adapt|test`` with the default per_class and
real_seed). RUNS_DIR receives the simulated files (not committed). Every grid point simulates the
same N_EVENTS events (default 800, one seed: the points differ by the constant alone) with
``detector=dune_fd generator=dune image.mode=cvn``. The grid moves one constant at a time around
the current values of ``argonet.sim.cvn_maps`` (overridden in this process only; the physics
shower cut through its option ``physics.shower_cut_MeV``).

Score of a point (lower is better): the largest |ln(sim median / real median)| over the four
classes and the quantities the constants act on: non-zero pixels per event, track width in time
bins and in wires, pixel charge. The event extents follow the geometry and the beam, not these
constants, and are left out. The centre is kept unless another point scores lower by more than
MATERIAL (a few per cent of a median is within the statistical scatter of 100 real events per
class); ``adapt_scatter`` measures that scale on the adapt half alone, one random half of it
against the other.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
import platform
import sys

from argonet.cli.main import main
from argonet.train.runtime import cpu_seconds
from argonet.conf.simtoreal import REAL_PER_CLASS, REAL_SEED
from argonet.data.stratified import stratified_split
from argonet.eval.realism import compare_samples
from argonet.recipes.compare import read_real, read_sim, real_entries
import argonet.sim.cvn_maps as cvn_maps

OUT = Path(__file__).parent / "cvn_constants.json"
SCORED = ("n_pixels", "width_ticks", "width_wires", "charge")
#: the centre (the constants as they stand, the default shower cut) and the values tried around each
CENTRE = {"HIT_AREA_ADC_TICK_PER_ELECTRON": 5.0e-3, "HIT_THRESHOLD": 8.0, "HIT_MAX_SINGLE_TICKS": 24,
          "HIT_LONG_PULSE_TICKS": 10.0, "physics.shower_cut_MeV": 1.0}
AROUND = {"HIT_AREA_ADC_TICK_PER_ELECTRON": [4.0e-3, 4.5e-3, 5.5e-3, 6.0e-3], "HIT_THRESHOLD": [6.0, 10.0],
          "HIT_MAX_SINGLE_TICKS": [16, 32], "HIT_LONG_PULSE_TICKS": [8.0, 12.0], "physics.shower_cut_MeV": [0.3]}
MATERIAL = 0.05
SEED, TOLERANCE = 21, 0.30


def grid() -> list[dict]:
    """The centre first, then the centre with one value changed."""
    return [dict(CENTRE)] + [{**CENTRE, name: v} for name, values in AROUND.items() for v in values]


def simulate(point: dict, path: Path, n_events: int) -> None:
    """Simulate ``n_events`` with the point's constants set in this process, restored afterwards."""
    saved = {k: getattr(cvn_maps, k) for k in point if not k.startswith("physics.")}
    try:
        for name in saved:
            setattr(cvn_maps, name, point[name])
        args = ["simulate", f"n_events={n_events}", f"seed={SEED}", "detector=dune_fd", "generator=dune",
                "image.mode=cvn", f"physics.shower_cut_MeV={point['physics.shower_cut_MeV']}", "progress=false",
                f"output={path}", "overwrite=true"]
        if main(args) != 0:
            sys.exit(f"failed: argonet {' '.join(args)}")
    finally:
        for name, value in saved.items():
            setattr(cvn_maps, name, value)


def agreement(real: dict, sim: dict) -> dict:
    """sim/real median ratios of the scored quantities per class, and the score (max |ln ratio|)."""
    report = compare_samples(real, sim, TOLERANCE)
    ratios = {c: {q: e["ratio"][q] for q in SCORED} for c, e in report["classes"].items()}
    logs = [abs(math.log(r)) if r else math.inf for per in ratios.values() for r in per.values()]
    return {"score": max(logs), "mean_abs_log": sum(logs) / len(logs), "ratios": ratios,
            "charge_kolmogorov": {c: e.get("charge_kolmogorov") for c, e in report["classes"].items()}}


def study(folder: str, runs: Path, n_events: int) -> dict:
    """Score every grid point on the adapt half, choose, then measure the choice once on the test half."""
    runs.mkdir(parents=True, exist_ok=True)
    start = cpu_seconds()
    dataset, adapt = real_entries(folder, "adapt", REAL_PER_CLASS, REAL_SEED)
    real_adapt, _ = read_real(dataset, adapt, None)
    one, other = stratified_split(dataset.targets[adapt], REAL_PER_CLASS // 2, REAL_SEED, len(dataset.class_names))
    scatter = agreement(read_real(dataset, adapt[one], None)[0], read_real(dataset, adapt[other], None)[0])
    points = []
    for k, point in enumerate(grid()):
        path = runs / f"point{k}.h5"
        simulate(point, path, n_events)
        sim, _ = read_sim([str(path)], "sbndwire", None)
        points.append({"point": point, "adapt": agreement(real_adapt, sim)})
        print(f"point {k}: {point} adapt score {points[-1]['adapt']['score']:.4f}", flush=True)
    best = min(range(len(points)), key=lambda k: points[k]["adapt"]["score"])
    chosen = best if points[best]["adapt"]["score"] < points[0]["adapt"]["score"] - MATERIAL else 0
    _, test = real_entries(folder, "test", REAL_PER_CLASS, REAL_SEED)
    real_test, _ = read_real(dataset, test, None)
    sim, _ = read_sim([str(runs / f"point{chosen}.h5")], "sbndwire", None)
    return {"real": {"folder": folder, "per_class": REAL_PER_CLASS, "real_seed": REAL_SEED,
                     "n_adapt": len(adapt), "n_test": len(test)},
            "simulated": {"n_events": n_events, "seed": SEED,
                          "command": "argonet simulate detector=dune_fd generator=dune image.mode=cvn"},
            "score": "max over the 4 classes and " + ", ".join(SCORED) + " of |ln(sim median / real median)|",
            "material": MATERIAL, "adapt_scatter": {"what": "the score of one random half of the adapt events "
                                                    "against the other (50 per class each): the statistical scale",
                                            "score": scatter["score"], "mean_abs_log": scatter["mean_abs_log"]},
            "centre": CENTRE, "grid": points, "best_on_adapt": best,
            "chosen": {"index": chosen, "point": points[chosen]["point"], "changed": chosen != 0},
            "test_half_of_chosen": agreement(real_test, sim),
            "cpu_s": round(cpu_seconds() - start, 1), "cpu": platform.processor() or platform.machine()}


if __name__ == "__main__":
    found = study(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 800)
    OUT.write_text(json.dumps(found, indent=1) + "\n")
    print(json.dumps({"chosen": found["chosen"], "adapt_score": found["grid"][found["chosen"]["index"]]["adapt"]
                      ["score"], "test_score": found["test_half_of_chosen"]["score"]}))
