"""Helpers of the sweep tests: the command-line overrides of a tiny sweep, one torch thread."""

from __future__ import annotations

from pathlib import Path

from argonet.conf.compose import compose
from argonet.conf.sweep import SweepConfig
from torch_threads import one_torch_thread  # noqa: F401  (re-exported for the sweep tests)

SPACE = """\
optim.lr: {type: float, low: 1e-3, high: 0.3, log: true}
model.options.hidden: {type: int, low: 8, high: 32, step: 8}
optim.name: [sgd, adamw]
"""


def sweep_args(jet_file: Path, space_file: Path, folder: Path, *extra: str) -> list[str]:
    """Command-line overrides of a 1-epoch jetmlp sweep on the tiny jet file."""
    return ["model.name=jetmlp", f"data.file={jet_file}", "data.format=jet_features", "run.epochs=1",
            "run.batch_size=16", "run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.amp=off",
            f"sweep.space={space_file}", f"sweep.output_dir={folder}", *extra]


def sweep_config(jet_file: Path, space_file: Path, folder: Path, *extra: str) -> SweepConfig:
    """The composed configuration of ``sweep_args``."""
    return compose("sweep", SweepConfig, sweep_args(jet_file, space_file, folder, *extra))
