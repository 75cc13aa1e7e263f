"""A tiny jet-features file and a search space shared by the sweep tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from argonet.cli.config import compose
from argonet.conf.sweep import SweepConfig
from argonet.io import write_jet_images

CLASSES = ["gluon", "light_quark", "top", "W", "Z"]
SPACE = """\
optim.lr: {type: float, low: 1e-3, high: 0.3, log: true}
model.options.hidden: {type: int, low: 8, high: 32, step: 8}
optim.name: [sgd, adamw]
"""


@pytest.fixture(scope="session")
def jet_file(tmp_path_factory) -> Path:
    """160 jets whose class shows in the mass column (the other five features are noise)."""
    rng = np.random.default_rng(0)
    n = 160
    labels = np.arange(n) % 5
    features = {name: rng.random(n) + labels * (i == 0) for i, name in
                enumerate(["mass_GeV", "tau21", "tau32", "c2", "d2", "multiplicity"])}
    return write_jet_images(tmp_path_factory.mktemp("jets") / "jets.h5", rng.random((n, 4, 4)).astype(np.float32),
                            labels, CLASSES, features=features)


@pytest.fixture(scope="session")
def space_file(tmp_path_factory) -> Path:
    """Learning rate (log), hidden width (int), optimiser (categorical)."""
    path = tmp_path_factory.mktemp("space") / "space.yaml"
    path.write_text(SPACE)
    return path


def sweep_args(jet_file: Path, space_file: Path, folder: Path, *extra: str) -> list[str]:
    """Command-line overrides of a 1-epoch jetmlp sweep on the tiny jet file."""
    return ["model.name=jetmlp", f"data.file={jet_file}", "data.format=jet_features", "run.epochs=1",
            "run.batch_size=16", "run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.amp=off",
            f"sweep.space={space_file}", f"sweep.output_dir={folder}", *extra]


def sweep_config(jet_file: Path, space_file: Path, folder: Path, *extra: str) -> SweepConfig:
    """The composed configuration of ``sweep_args``."""
    return compose("sweep", SweepConfig, sweep_args(jet_file, space_file, folder, *extra))
