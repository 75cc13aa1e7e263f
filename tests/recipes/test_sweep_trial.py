"""A sweep trial is an ordinary training run: segmentation too, with its epoch callbacks and its cost."""

from __future__ import annotations

import numpy as np
import torch

from argonet.conf.compose import compose
from argonet.conf.classify import TrainCommandConfig
from argonet.event import ImageMeta, SparseImage
from argonet.io import Larcv3Writer
from argonet.recipes.sweep_trial import cpu_s_per_event, parameter_count, train_trial, trained_model

SHAPE = (16, 16)


def _planes(values: np.ndarray) -> list[SparseImage]:
    ids = np.arange(len(values), dtype=np.uint64) * 7
    return [SparseImage(ImageMeta(p, SHAPE, (4.8, 4.8), (0.0, 0.0)), ids, values.astype(np.float32)) for p in range(3)]


def test_a_segmentation_trial_reports_neutrino_iou_each_epoch_and_its_cost(tmp_path):
    path = tmp_path / "seg.h5"
    with Larcv3Writer(path, overwrite=True) as writer:
        for _ in range(4):
            writer.write_products({"sparse2d/sbndwire": _planes(np.full(6, 10.0)),
                                   "sparse2d/sbnd_cosmicseg": _planes(np.array([0, 1, 2, 2, 1, 2]))})
    cfg = compose("train", TrainCommandConfig, [
        "task=segment", f"data.file={path}", "uresnet.depth=2", "uresnet.filters=2", "uresnet.blocks_per_layer=1",
        "uresnet.blocks_deepest=1", "run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.amp=off",
        "run.batch_size=1", "run.epochs=2", "data.split=[0.5,0.5,0.0]", f"run.output_dir={tmp_path / 'trial'}"])
    seen = []
    result = train_trial(cfg, [lambda epoch, record: seen.append((epoch, record["val_neutrino_iou"]))])
    assert [e for e, _ in seen] == [0, 1] and all(0.0 <= v <= 1.0 for _, v in seen)
    state = torch.load(tmp_path / "trial" / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["config"]["task"] == "segment" and state["input_spec"]["labels"] == "sbnd_cosmicseg"
    assert state["config"]["model"]["name"] == "uresnet" and len(state["progress"]["history"]) == 2
    assert result.history[-1]["val_neutrino_iou"] == seen[-1][1]
    model = trained_model(result.checkpoint)
    assert cpu_s_per_event(cfg, model, 2) > 0.0 and not model.training
    assert parameter_count(model) == sum(v.numel() for k, v in state["model"].items()
                                             if "running" not in k and "num_batches" not in k)
