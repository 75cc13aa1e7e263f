"""``argonet sweep``: hyper-parameter search (Optuna) around an ``argonet train`` configuration.

    argonet sweep task=classify model.name=jetmlp data.file=jets.h5 data.format=jet_features \\
        sweep.space=space.yaml sweep.trials=40 sweep.objective=val/accuracy sweep.direction=maximize
    argonet sweep ... sweep.workers=4                       # four processes sharing the study
    argonet sweep ... sweep.storage=postgresql://user@db/argonet   # the same command on other machines
    argonet sweep ... sweep.objective=[val/accuracy,cost/cpu_s_per_event] sweep.direction=[maximize,minimize]

Every key of ``argonet train`` sets the configuration the trials start from; the space YAML maps
keys to distributions. Running the command again resumes the sweep. Output in ``sweep.output_dir``:
one folder per trial, sweep.json, best.yaml, best.overrides, report.md/json and figures.
"""

from __future__ import annotations

import sys

from argonet import __version__
from argonet.conf.sweep import SweepConfig
from argonet.recipes.sweep import SweepSummary, run_sweep


def run(cfg: SweepConfig) -> SweepSummary:
    """Run or resume the sweep and print how it ended."""
    print(f"argonet {__version__} sweep: {cfg.sweep.trials} trials of {cfg.task} in {cfg.sweep.output_dir}",
          flush=True)
    try:
        summary = run_sweep(cfg)
    except KeyboardInterrupt:
        print(f"argonet sweep: interrupted; finished trials are kept in {cfg.sweep.output_dir}, "
              "run the same command again to resume", file=sys.stderr)
        raise SystemExit(130) from None
    if summary.retried:
        print(f"retried interrupted trials {summary.retried}")
    print("trials: " + ", ".join(f"{n} {s}" for s, n in sorted(summary.states.items())))
    for row in summary.best:
        values = ", ".join(f"{v:.4g}" for v in row["values"])
        print(f"best {row['name']}: {values}  {row['params']}")
    print(f"report {summary.folder / 'report.md'}; run the best again: argonet train "
          f"$(cat {summary.folder / 'best.overrides'})")
    return summary
