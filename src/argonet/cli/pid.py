"""``argonet pid``: the particle-identification study on the LArIAT single-particle sample.

    argonet pid data.file=[pid.shard0of2.h5,pid.shard1of2.h5] downsample=[1,2,4,8] run.epochs=10

Trains one model per tick down-sampling factor, chooses on the validation split, mines misclassified
training events, trains the energy regression, and measures the test split once; writes
``output_dir/results.json``, ``table.md`` and figures (see docs/studies/particle_id.md).
"""

from __future__ import annotations

from argonet import __version__
from argonet.conf.compose import to_yaml
from argonet.conf.pid import PidStudyConfig
from argonet.recipes.pid import run_study


def run(cfg: PidStudyConfig) -> None:
    """Run the study and print where its results are."""
    print(f"argonet {__version__} pid\n{to_yaml(cfg)}", flush=True)
    results = run_study(cfg)
    print(f"results: {cfg.output_dir}/results.json (test events {results['test_events']}, model {results['model']}, "
          f"tick down-sampling {results['downsample']})")
