"""Segmentation on sparse batches: loss and confusion counts over the active pixels, equal to the dense ones
when every pixel is active; model and batch layouts must agree."""

from __future__ import annotations

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.registry import get_model
from argonet.tasks.segment import (SegmentTask, confusion_counts, predict_sparse_labels, segmentation_loss,
                                   sparse_confusion_counts, sparse_segmentation_loss)

B, P, K, H, W = 2, 3, 3, 5, 6


def _all_pixels():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(B, P, K, H, W, generator=g, dtype=torch.float64)
    labels = torch.randint(0, K, (B, P, H, W), generator=g)
    coords = torch.ones(B, P, H, W).nonzero()
    return logits, labels, coords, logits.permute(0, 1, 3, 4, 2)[tuple(coords.t())], labels[tuple(coords.t())]


@pytest.mark.parametrize("scheme", ["none", "even", "light", "focal"])
def test_sparse_loss_equals_the_dense_loss_when_every_pixel_is_active(scheme):
    logits, labels, coords, rows, row_labels = _all_pixels()
    torch.testing.assert_close(sparse_segmentation_loss(rows, row_labels, coords[:, 1], P, scheme),
                               segmentation_loss(logits, labels, scheme))


def test_sparse_counts_are_the_dense_counts_of_the_active_pixels():
    logits, labels, coords, rows, row_labels = _all_pixels()
    predicted = rows.argmax(1)
    assert torch.equal(sparse_confusion_counts(predicted, row_labels, coords, B, P, K),
                       confusion_counts(logits.argmax(2), labels, K))
    keep = torch.arange(len(coords)) % 3 == 0                           # a third of the pixels active
    counts = sparse_confusion_counts(predicted[keep], row_labels[keep], coords[keep], B, P, K)
    assert counts.sum() == int(keep.sum())
    b, p = 1, 2
    mine = (coords[keep][:, 0] == b) & (coords[keep][:, 1] == p)
    for t in range(K):
        for q in range(K):
            assert counts[b, p, t, q] == int((mine & (row_labels[keep] == t) & (predicted[keep] == q)).sum())


def test_task_on_a_sparse_batch_and_layout_mismatches():
    model = get_model("sparse-uresnet", num_classes=3, in_chans=P, depth=2, filters=2, blocks_per_layer=1,
                      blocks_deepest=1, deepest_filters=4)
    g = torch.Generator().manual_seed(1)
    mask = torch.rand(B, P, 8, 12, generator=g) < 0.3
    coords = mask.nonzero()
    batch = {"coords": coords, "features": torch.rand(len(coords), 1, generator=g),
             "label": torch.randint(0, 3, (len(coords),), generator=g), "entry": torch.arange(B),
             "shape": torch.tensor([8, 12])}
    task = SegmentTask(["background", "cosmic", "neutrino"], balance="even")
    out = task(model, batch)
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and model.stem[0].weight.grad.abs().sum() > 0
    assert out["output"].shape == (B, P, 3, 3) and out["output"].sum() == len(coords)
    assert predict_sparse_labels(model.eval(), batch).shape == (len(coords),)
    with pytest.raises(ConfigError, match="data.layout: a sparse model needs sparse batches"):
        task(model, {"image": torch.zeros(B, P, 8, 12), "label": torch.zeros(B, P, 8, 12, dtype=torch.long)})
    dense = get_model("uresnet", num_classes=3, in_chans=P, depth=2, filters=2, blocks_per_layer=1)
    with pytest.raises(ConfigError, match="sparse batches need a sparse model"):
        task(dense, batch)


def test_a_batch_of_empty_events_costs_nothing_and_runs_no_network():
    model = get_model("sparse-uresnet", num_classes=3, in_chans=P, depth=2, filters=2, blocks_per_layer=1,
                      blocks_deepest=1, deepest_filters=4)
    batch = {"coords": torch.zeros((0, 4), dtype=torch.int64), "features": torch.zeros((0, 1)),
             "label": torch.zeros(0, dtype=torch.int64), "entry": torch.arange(B), "shape": torch.tensor([8, 12])}
    out = SegmentTask(["background", "cosmic", "neutrino"], balance="light")(model, batch)
    out["loss"].backward()                                               # a step on it changes no weight
    assert out["loss"].item() == 0 and all(p.grad is None for p in model.parameters())
    assert out["output"].shape == (B, P, 3, 3) and out["output"].sum() == 0
    assert predict_sparse_labels(model.eval(), batch).shape == (0,)
