"""Per-event weighted cross-entropy for misclassified-event mining."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from argonet.errors import ConfigError
from argonet.tasks.weighted import WeightedClassifyTask, mining_weights


class _Fixed(nn.Module):
    def forward(self, x):
        return torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1]])).expand(x.shape[0] // 2 * 2, 2)[: x.shape[0]]


def test_weighted_loss_by_hand():
    weights = mining_weights(5, np.array([3]), 4.0)
    assert weights.tolist() == [1, 1, 1, 4, 1]
    task = WeightedClassifyTask(["a", "b"], weights)
    batch = {"image": torch.zeros(2, 1, 2, 2), "label": torch.tensor([0, 1]), "entry": torch.tensor([0, 3])}
    out = task(_Fixed(), batch)
    expected = (1 * -math.log(0.5) + 4 * -math.log(0.1)) / 5
    assert float(out["loss"]) == pytest.approx(expected, rel=1e-5)
    plain = WeightedClassifyTask(["a", "b"], np.ones(5))(_Fixed(), batch)
    assert float(plain["loss"]) == pytest.approx((-math.log(0.5) - math.log(0.1)) / 2, rel=1e-5)
    with pytest.raises(ConfigError):
        WeightedClassifyTask(["a", "b"], np.array([1.0, -1.0]))
