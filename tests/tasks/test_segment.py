"""The segmentation task: balance weights on a hand-made batch, the loss, confusion counts, and a NaN stop."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from argonet.conf.train import OptimConfig, RunConfig
from argonet.errors import ConfigError, DataError
from argonet.models.uresnet import UResNet
from argonet.tasks.segment import (SegmentTask, balance_weights, confusion_counts, predict_labels,
                                   segmentation_loss)
from argonet.train.checkpoint import read_checkpoint
from argonet.train.engine import NonFiniteLossError, fit

CLASSES = ("background", "cosmic", "neutrino")
# one plane of a batch of 2 images of 2 x 3: 8 background, 3 cosmic, 1 neutrino pixel
LABELS = torch.tensor([[[0, 0, 1], [0, 2, 0]],
                       [[0, 1, 1], [0, 0, 0]]])


def test_even_weights_give_each_class_the_same_share():
    w = balance_weights(LABELS, None, "even", 3)
    n = LABELS.numel()                                   # 12 pixels
    expected = {0: n / (3 * (8 + 1)), 1: n / (3 * (3 + 1)), 2: n / (3 * (1 + 1))}
    for c, value in expected.items():
        assert torch.allclose(w[LABELS == c], torch.tensor(value))
    assert w.shape == LABELS.shape
    # an absent class does not break it (count 0 → weight n / 3)
    assert torch.allclose(balance_weights(torch.zeros(1, 2, 2, dtype=torch.long), None, "even", 3),
                          torch.full((1, 2, 2), 4 / (3 * 5)))


def test_light_and_none_weights():
    w = balance_weights(LABELS, None, "light", 3)
    assert w[0, 0, 0] == 1.0 and w[0, 0, 2] == 1.5 and w[0, 1, 1] == 10.0
    assert balance_weights(LABELS, None, "none", 3) is None
    with pytest.raises(ConfigError, match="loss.balance: unknown balance scheme 'heavy'"):
        balance_weights(LABELS, None, "heavy", 3)


def test_focal_weights_from_the_true_class_probability():
    logits = torch.zeros(2, 3, 2, 3)                     # uniform: p_true = 1/3 everywhere
    logits[0, 1, 0, 2] = math.log(8.0)                   # pixel (0, 0, 2) is cosmic with p = 8 / 10
    w = balance_weights(LABELS, logits, "focal", 3, focal_gamma=2.0)
    assert torch.allclose(w[1, 0, 0], torch.tensor((1 - 1 / 3) ** 2 / 3))
    assert torch.allclose(w[0, 0, 2], torch.tensor((1 - 0.8) ** 2 / 3))
    assert torch.allclose(balance_weights(LABELS, logits, "focal", 3, focal_gamma=0.0), torch.full((2, 2, 3), 1 / 3))


def test_loss_is_the_sum_over_planes_of_the_weighted_mean_cross_entropy():
    torch.manual_seed(1)
    logits = torch.randn(2, 3, 3, 2, 3, requires_grad=True)      # (B, P, K, H, W)
    labels = torch.stack([LABELS, LABELS.flip(-1), torch.zeros_like(LABELS)], dim=1)
    plain = sum(F.cross_entropy(logits[:, p], labels[:, p]) for p in range(3))
    assert torch.allclose(segmentation_loss(logits, labels, "none"), plain)
    light = torch.tensor([1.0, 1.5, 10.0])
    by_hand = sum((light[labels[:, p]] * F.cross_entropy(logits[:, p], labels[:, p], reduction="none")).mean()
                  for p in range(3))
    loss = segmentation_loss(logits, labels, "light")
    assert torch.allclose(loss, by_hand)
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_confusion_counts_and_task_metrics():
    predicted = LABELS.clone()
    predicted[0, 1, 1] = 1                               # the neutrino pixel taken for a cosmic
    counts = confusion_counts(predicted[:, None], LABELS[:, None], 3)
    assert counts.shape == (2, 1, 3, 3)
    assert counts[0, 0].tolist() == [[4, 0, 0], [0, 1, 0], [0, 1, 0]]
    task = SegmentTask(CLASSES, balance="none", plane_names=["Y"])
    metrics = task.metrics(counts.float())
    assert metrics["non_bkg_accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert metrics["neutrino_iou"] == pytest.approx((0 + 1) / 2)        # event 2 has no neutrino: IoU 1
    assert metrics["Y_cosmic_iou"] == pytest.approx((1 / 2 + 1) / 2)


def test_task_on_a_batch_and_its_errors():
    torch.manual_seed(0)
    model = UResNet(3, 2, depth=1, filters=2, blocks_per_layer=1, blocks_deepest=1)
    batch = {"image": torch.rand(2, 2, 4, 6), "label": torch.randint(0, 3, (2, 2, 4, 6), dtype=torch.uint8)}
    out = SegmentTask(CLASSES, balance="focal")(model, batch)
    assert out["loss"].ndim == 0 and out["output"].shape == (2, 2, 3, 3)
    assert out["output"].sum() == 2 * 2 * 4 * 6                        # every pixel counted once
    assert predict_labels(model, batch["image"]).shape == (2, 2, 4, 6)
    with pytest.raises(DataError, match="per-pixel 'label'"):
        SegmentTask(CLASSES)(model, {"image": batch["image"]})
    with pytest.raises(ConfigError, match=r"must return \(batch, planes, 3 classes, H, W\)"):
        SegmentTask(CLASSES)(lambda x: torch.zeros(2, 3, 4, 6), batch)
    with pytest.raises(ConfigError, match="loss.balance"):
        SegmentTask(CLASSES, balance="heavy")


class _Events(torch.utils.data.Dataset):
    """Random 2-plane 8 x 8 events; ``poison`` makes the charge NaN (a corrupt input)."""

    def __init__(self, poison: bool = False):
        g = torch.Generator().manual_seed(0)
        self.images = torch.rand(8, 2, 8, 8, generator=g)
        if poison:
            self.images[:] = float("nan")
        self.labels = torch.randint(0, 3, (8, 2, 8, 8), generator=g)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        return {"image": self.images[i], "label": self.labels[i]}


def _loader(poison: bool) -> DataLoader:
    return DataLoader(_Events(poison), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))


def test_nan_loss_stops_segmentation_training_and_keeps_the_last_good_checkpoint(tmp_path):
    def model() -> UResNet:
        torch.manual_seed(0)
        return UResNet(3, 2, depth=2, filters=2, blocks_per_layer=1, blocks_deepest=1)

    run = RunConfig(epochs=1, batch_size=4, output_dir=str(tmp_path), device="cpu", amp="off", progress=False,
                    tensorboard=False)
    optim = OptimConfig(name="adamw", lr=1e-3)
    task = SegmentTask(CLASSES, balance="light")
    fit(model(), task, _loader(False), optim=optim, run=run, echo=False)
    good = read_checkpoint(tmp_path / "checkpoint.pt")
    assert good["step"] == 2
    resumed = RunConfig(**{**run.__dict__, "epochs": 2, "resume": True})
    with pytest.raises(NonFiniteLossError, match=rf"loss is nan at epoch 1, batch 0, after 2 optimiser steps; stopped "
                                                 rf"\(last good checkpoint {tmp_path}/checkpoint.pt\)"):
        fit(model(), task, _loader(True), optim=optim, run=resumed, echo=False)
    kept = read_checkpoint(tmp_path / "checkpoint.pt")
    assert kept["step"] == 2 and all(torch.equal(kept["model"][k], good["model"][k]) for k in good["model"])
