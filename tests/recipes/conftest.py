"""Shared fixtures of the recipe tests: a tiny jet-features file and a search space (sweep tests), a small
simulated neutrino file and a short classifier training on it (export and explain tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sweep_setup import SPACE

from argonet.cli.main import main
from argonet.io import write_jet_images

CLASSES = ["gluon", "light_quark", "top", "W", "Z"]


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


@pytest.fixture(scope="session")
def events(tmp_path_factory) -> Path:
    """12 simulated neutrino interactions as 3 planes of 32 x 32 vertex crops, with pixel labels."""
    path = tmp_path_factory.mktemp("events") / "events.h5"
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["simulate", "n_events=12", "image.crop_wires=32", "image.crop_ticks=32", "seed=3",
                     "progress=false", f"output={path}"]) == 0
    finally:
        torch.set_num_threads(previous)
    return path


@pytest.fixture(scope="session")
def classifier(events, tmp_path_factory) -> Path:
    """A smallcnn checkpoint from one short ``argonet train`` run on ``events``."""
    out = tmp_path_factory.mktemp("train")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["train", "model.name=smallcnn", f"data.file={events}", "data.normalise=log1p", "run.epochs=1",
                     "run.batch_size=4", f"run.output_dir={out}", "run.device=cpu", "run.progress=false",
                     "run.tensorboard=false"]) == 0
    finally:
        torch.set_num_threads(previous)
    return out / "checkpoint.pt"
