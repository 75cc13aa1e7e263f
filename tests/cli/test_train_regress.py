"""``argonet train task=regress``: the kinetic energy of single particles, end to end on a tiny sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch_threads import one_torch_thread

from argonet.cli.main import main
from argonet.recipes.pid_sample import simulate_overrides

QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=8"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """32 beamline particles, ticks summed by 8 at simulation to keep the images small."""
    path = tmp_path_factory.mktemp("data") / "pid.h5"
    assert main(["simulate", *simulate_overrides(32, str(path), seed=5, tick_downsample=8)]) == 0
    return path


def test_regression_trains_and_reports_resolution(sample, tmp_path):
    out = tmp_path / "regress"
    with one_torch_thread():
        assert main(["train", "task=regress", "model.name=smallcnn", f"data.file={sample}", "data.downsample=[2,4]",
                     "data.normalise=log1p", "data.split=[0.5,0.5,0.0]", "run.epochs=1", f"run.output_dir={out}",
                     *QUIET]) == 0
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
    head = [v for k, v in state["model"].items() if k.endswith("weight")][-1]
    assert head.shape[0] == 1                                    # one output: ln E
    history = state["progress"]["history"]
    assert history and all(h["val_resolution"] > 0 and "val_bias" in h for h in history)


def test_regression_needs_a_one_output_model(sample, tmp_path, capsys):
    assert main(["train", "task=regress", "model.name=smallcnn", "model.num_classes=3", f"data.file={sample}",
                 f"run.output_dir={tmp_path}", *QUIET]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.num_classes" in err
