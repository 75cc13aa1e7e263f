"""Re-choose the resonant cross-section plateau of the DUNE beam (``argonet.sim.generators.dune_flux``) on the
adapt half of the real DUNE CVN nu_mu events only, then read the test half once for the chosen value;
writes docs/realism/res_plateau.json.

    OMP_NUM_THREADS=1 python docs/realism/res_plateau.py REAL_FOLDER [N_DRAWS]

REAL_FOLDER is ../shared/data/dune_cvn/dataset_info; its adapt and test halves are those of
``argonet simtoreal`` (``CvnDataset.halves`` with the default per_class and real_seed). The real
mix is the GENIE interaction label (QE, RES, DIS, other) of the NUMU_CC events of a half.

The simulated nu_mu CC mix of a plateau value (RES_SATURATION_CM2, set in this process only) is
computed two ways with the generator's own functions: ``exact``, the flux × sigma_process integral
on the generator's 10 MeV energy bins up to the 40 GeV end of the flux table (what ``dune_flux.plan``
draws from); ``drawn``, N_DRAWS (default 4000) interactions made by ``interaction_kinematics`` in
the DUNE beam, as the simulator makes them before the detector (one seed, the same for every value).

Score of a value (lower is better), fixed before reading the data: the Pearson chi-square of the
real QE, RES and DIS counts of the adapt half against the exact simulated fractions, over the events
with one of those three labels (the simulator makes no "other": GENIE's remaining CC modes).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
import platform
import resource
import sys

import numpy as np

from argonet.conf.simtoreal import REAL_PER_CLASS, REAL_SEED
from argonet.data.real import CvnDataset
from argonet.io.dune_cvn import INTERACTIONS
from argonet.sim.generators import dune_flux
from argonet.sim.generators.neutrino import CCDIS_CODE, CCQE_CODE, interaction_kinematics

OUT = Path(__file__).parent / "res_plateau.json"
GRID_CM2 = (0.6e-38, 0.7e-38, 0.8e-38)
CURRENT_CM2 = dune_flux.RES_SATURATION_CM2
PROCESSES = ("QE", "RES", "DIS")
CLASS = "NUMU_CC"
SEED = 5


def _cpu_s() -> float:
    """CPU seconds of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def real_mix(dataset: CvnDataset, entries: np.ndarray) -> dict:
    """Counts and fractions (binomial errors) of the interaction labels of the NUMU_CC events among ``entries``."""
    numu = [int(e) for e in entries if dataset.class_names[dataset.targets[e]] == CLASS]
    rows = [dataset.folder.label(int(dataset.indices[e])) for e in numu]
    counts = {name: sum(INTERACTIONS[r["interaction"]] == name for r in rows) for name in (*PROCESSES, "OTHER")}
    n = len(rows)
    return {"n_events": n, "n_antineutrino": sum(r["is_antinu"] == 1 for r in rows), "counts": counts,
            "fractions": {k: c / n for k, c in counts.items()},
            "errors": {k: math.sqrt(c / n * (1 - c / n) / n) for k, c in counts.items()}}


def exact_mix() -> dict:
    """QE, RES, DIS fractions of nu_mu CC: flux × sigma_process on the generator's energy bins (no draws)."""
    edges = np.arange(0.0, dune_flux.FLUX_MAX_GeV + 0.01, 0.01)
    centres = 0.5 * (edges[1:] + edges[:-1])
    flux = dune_flux.flux_density("numu", centres)
    rates = {p: float(np.sum(flux * dune_flux.cross_section_cm2(p.lower(), 13, centres))) for p in PROCESSES}
    return {p: r / sum(rates.values()) for p, r in rates.items()}


def drawn_mix(n_draws: int) -> dict:
    """QE, RES, DIS fractions (binomial errors) of ``n_draws`` nu_mu CC interactions made in the DUNE beam."""
    rng = np.random.default_rng(SEED)
    codes = [interaction_kinematics(CLASS, rng, dune_flux.FLUX_MAX_GeV, beam="dune")[2].code for _ in range(n_draws)]
    counts = {"QE": codes.count(CCQE_CODE), "DIS": codes.count(CCDIS_CODE)}
    counts["RES"] = n_draws - counts["QE"] - counts["DIS"]
    return {"n_draws": n_draws, "fractions": {p: counts[p] / n_draws for p in PROCESSES},
            "errors": {p: math.sqrt(counts[p] / n_draws * (1 - counts[p] / n_draws) / n_draws) for p in PROCESSES}}


def simulated_mix(plateau_cm2: float, n_draws: int) -> dict:
    """Exact and drawn nu_mu CC mix with RES_SATURATION_CM2 = plateau_cm2 in this process, restored afterwards."""
    try:
        dune_flux.RES_SATURATION_CM2 = plateau_cm2
        dune_flux._energy_table.cache_clear()
        return {"exact": exact_mix(), "drawn": drawn_mix(n_draws)}
    finally:
        dune_flux.RES_SATURATION_CM2 = CURRENT_CM2
        dune_flux._energy_table.cache_clear()


def chi_square(real: dict, sim_fractions: dict) -> float:
    """Pearson chi-square of the real QE, RES, DIS counts against the simulated fractions (2 degrees of freedom)."""
    n = sum(real["counts"][p] for p in PROCESSES)
    return sum((real["counts"][p] - n * sim_fractions[p]) ** 2 / (n * sim_fractions[p]) for p in PROCESSES)


def p_value(chi2: float) -> float:
    """Chance of a chi-square at least this large with 2 degrees of freedom."""
    return math.exp(-chi2 / 2.0)


def res_pull(real: dict, sim_fractions: dict) -> float:
    """(sim - real) RES share over the real binomial error, the real share taken over QE + RES + DIS events."""
    n = sum(real["counts"][p] for p in PROCESSES)
    share = real["counts"]["RES"] / n
    return (sim_fractions["RES"] - share) / math.sqrt(share * (1 - share) / n)


def study(folder: str, n_draws: int) -> dict:
    """Score every plateau value on the adapt half, choose, then compare the choice once with the test half."""
    start = _cpu_s()
    dataset = CvnDataset(folder)
    adapt, test = dataset.halves(REAL_PER_CLASS, REAL_SEED)
    real_adapt = real_mix(dataset, adapt)
    grid = []
    for plateau in GRID_CM2:
        sim = simulated_mix(plateau, n_draws)
        grid.append({"res_saturation_cm2": plateau, "sim": sim,
                     "adapt_chi_square": chi_square(real_adapt, sim["exact"]),
                     "adapt_p_value": p_value(chi_square(real_adapt, sim["exact"])),
                     "adapt_res_pull": res_pull(real_adapt, sim["exact"])})
        print(f"plateau {plateau:.2e} cm2: exact {sim['exact']} chi2 {grid[-1]['adapt_chi_square']:.3f}", flush=True)
    chosen = min(range(len(grid)), key=lambda k: grid[k]["adapt_chi_square"])
    by_res = min(range(len(grid)), key=lambda k: abs(grid[k]["adapt_res_pull"]))
    real_test = real_mix(dataset, test)
    return {"real": {"folder": folder, "class": CLASS, "per_class": REAL_PER_CLASS, "real_seed": REAL_SEED,
                     "label": "GENIE interaction of the partition file: QE, RES, DIS, OTHER"},
            "simulated": {"class": CLASS, "beam": "dune", "e_max_GeV": dune_flux.FLUX_MAX_GeV,
                          "exact": "flux x sigma_process summed on 10 MeV bins (dune_flux.flux_density, "
                                   "dune_flux.cross_section_cm2)",
                          "drawn": f"{n_draws} interactions of neutrino.interaction_kinematics, seed {SEED}"},
            "score": "Pearson chi-square (2 dof) of the adapt half's QE, RES, DIS counts against the exact "
                     "simulated fractions; OTHER events left out",
            "current_cm2": CURRENT_CM2, "adapt": real_adapt, "grid": grid,
            "chosen": {"index": chosen, "res_saturation_cm2": GRID_CM2[chosen],
                       "changed": GRID_CM2[chosen] != CURRENT_CM2},
            "closest_res_share_on_adapt": GRID_CM2[by_res],
            "test_half_of_chosen": {"real": real_test,
                                    "chi_square": chi_square(real_test, grid[chosen]["sim"]["exact"]),
                                    "p_value": p_value(chi_square(real_test, grid[chosen]["sim"]["exact"])),
                                    "res_pull": res_pull(real_test, grid[chosen]["sim"]["exact"])},
            "cpu_s": round(_cpu_s() - start, 1), "cpu": platform.processor() or platform.machine()}


if __name__ == "__main__":
    found = study(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4000)
    OUT.write_text(json.dumps(found, indent=1) + "\n")
    print(json.dumps({"adapt": found["adapt"]["counts"], "chosen": found["chosen"],
                      "test": found["test_half_of_chosen"]["real"]["counts"], "cpu_s": found["cpu_s"]}))
