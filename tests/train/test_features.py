"""The feature cache for frozen backbones, and head-only training on it."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader
from train_toys import ClassifyTask, toy_images

from argonet.conf.train import OptimConfig, RunConfig
from argonet.errors import ConfigError
from argonet.models.classifiers import FeatureHead
from argonet.models.freezing import freeze
from argonet.models.registry import get_model
from argonet.train import features as feat
from argonet.train.distributed import DistInfo, make_loader
from argonet.train.engine import fit


@pytest.fixture
def model_and_data():
    torch.manual_seed(0)
    model = get_model("resnet18", num_classes=3, in_chans=2)
    data = toy_images(24, size=32)
    return model, data, DataLoader(data, batch_size=8)


def test_features_are_the_pooled_pre_logits(model_and_data):
    model, data, loader = model_and_data
    model.train()
    cached = feat.cache_features(model, loader)
    assert model.training                                  # mode restored
    features, targets = cached.tensors
    assert features.shape == (24, model.num_features) and torch.equal(targets, data.tensors[1])
    model.eval()
    with torch.no_grad():
        expected = model.forward_head(model.forward_features(data.tensors[0]), pre_logits=True)
        torch.testing.assert_close(features, expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(FeatureHead(model)(features), model(data.tensors[0]), rtol=1e-5, atol=1e-5)


def test_cache_file_is_reused_and_keyed_by_backbone_and_data(model_and_data, tmp_path, monkeypatch):
    model, _, loader = model_and_data
    first = feat.cache_features(model, loader, cache_dir=tmp_path, data_key="toy v1")
    files = list(tmp_path.glob("features-*.pt"))
    assert len(files) == 1

    def no_backbone(*args, **kwargs):
        raise AssertionError("the backbone ran although the features were cached")

    monkeypatch.setattr(feat, "compute_features", no_backbone)
    again = feat.cache_features(model, loader, cache_dir=tmp_path, data_key="toy v1")
    assert torch.equal(again.tensors[0], first.tensors[0])
    model.reset_classifier(5)                              # the head does not change the features
    assert feat.cache_key(model, "toy v1") == files[0].stem.removeprefix("features-")
    assert feat.cache_key(model, "toy v2") != feat.cache_key(model, "toy v1")
    with torch.no_grad():
        model.layer1[0].conv1.weight[0, 0, 0, 0] += 1.0
    with pytest.raises(AssertionError, match="backbone ran"):
        feat.cache_features(model, loader, cache_dir=tmp_path, data_key="toy v1")
    with pytest.raises(ConfigError, match="data_key"):
        feat.cache_features(model, loader, cache_dir=tmp_path)


def test_head_training_on_cached_features_keeps_the_backbone(model_and_data, tmp_path):
    model, _, loader = model_and_data
    freeze(model, [r"^(?!fc\.)"])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train = feat.cache_features(model, DataLoader(toy_images(96, size=32), batch_size=32))
    val = feat.cache_features(model, loader)
    info = DistInfo()
    result = fit(FeatureHead(model), ClassifyTask(), make_loader(train, 16, train=True, seed=0, info=info),
                 make_loader(val, 24, train=False, seed=0, info=info), optim=OptimConfig(lr=0.05, momentum=0.9),
                 run=RunConfig(epochs=3, device="cpu", output_dir=str(tmp_path), progress=False, tensorboard=False),
                 echo=False)
    state = torch.load(result.checkpoint, weights_only=True)["model"]
    assert set(state) == set(before)                        # the whole classifier, no wrapper prefix
    changed = [k for k in before if not torch.equal(before[k], state[k])]
    assert sorted(changed) == ["fc.bias", "fc.weight"]
    assert result.history[-1]["val_accuracy"] > 0.6        # a random 3-class guess scores 1/3
    assert result.history[-1]["val_loss"] < result.history[0]["val_loss"]
