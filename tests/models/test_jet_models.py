"""Jet classifiers: the classroom CNN's published size, shapes, and clear refusals."""

from __future__ import annotations

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.registry import get_model, list_models


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_classroom_cnn_has_the_lessons_3505_parameters():
    model = get_model("jetcnn-classroom", num_classes=5, in_chans=1)
    assert n_params(model) == 3505                                       # the HSF lesson's count
    assert "3505 parameters" in model.load_report
    assert model(torch.rand(4, 1, 20, 20)).shape == (4, 5)
    assert model(torch.rand(2, 1, 100, 100)).shape == (2, 5)            # hls4ml-sized images pool to the same map
    with pytest.raises(ConfigError, match=r"jetcnn-classroom takes .* >= 16 pixels"):
        model(torch.rand(2, 1, 12, 12))


def test_stronger_cnn_and_feature_mlp():
    assert {"jetcnn-classroom", "jetcnn", "jetmlp"} <= set(list_models())
    cnn = get_model("jetcnn", num_classes=5, in_chans=1)
    assert cnn(torch.rand(3, 1, 20, 20)).shape == (3, 5) and 5e5 < n_params(cnn) < 1e6
    assert cnn(torch.rand(2, 1, 40, 40)).shape == (2, 5)
    mlp = get_model("jetmlp", num_classes=3, in_chans=6)
    assert mlp(torch.rand(8, 6)).shape == (8, 3)
    with pytest.raises(ConfigError, match=r"^model.in_chans: jetmlp takes \(N, 6\) features"):
        mlp(torch.rand(8, 7))
    with pytest.raises(ConfigError, match=r"^model.weights: jetcnn has no pretrained weights"):
        get_model("jetcnn", num_classes=5, in_chans=1, weights="IMAGENET1K_V1")
    with pytest.raises(ConfigError, match=r"^model.num_classes"):
        get_model("jetmlp", num_classes=0, in_chans=6)


def test_a_few_steps_learn_an_easy_split():
    torch.manual_seed(0)
    images = torch.rand(64, 1, 20, 20) * 0.1
    labels = torch.arange(64) % 2
    images[labels == 1, :, 8:12, 8:12] += 1.0                           # class 1: a bright core
    for name in ("jetcnn-classroom", "jetcnn"):
        model = get_model(name, num_classes=2, in_chans=1)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(40):
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        assert losses[-1] < 0.5 * losses[0], (name, losses)
