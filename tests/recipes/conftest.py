"""A tiny jet-features file and a search space shared by the sweep tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sweep_setup import SPACE

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

