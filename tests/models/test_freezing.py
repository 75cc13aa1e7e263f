"""Freezing by pattern, partial loading, head replacement and the checkpoint compatibility check."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import functional as F

from argonet.errors import ConfigError
from argonet.models.freezing import check_compatible, freeze, frozen_parameters, load_state, replace_head, \
    train_mode, unfreeze
from argonet.models.registry import get_model

BACKBONE = r"^(?!fc\.)"   # every parameter except the head


def _sgd_steps(model, n_steps=3):
    """A few momentum-SGD steps with weight decay, as training would do them."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(n_steps):
        train_mode(model)
        x, y = torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 3, (8,), generator=g)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad()


@pytest.mark.parametrize("name", ["smallcnn", "resnet18"])
def test_frozen_backbone_and_its_batch_norm_statistics_stay_bit_identical(name):
    torch.manual_seed(0)
    model = get_model(name, num_classes=3)
    frozen = freeze(model, [BACKBONE])
    assert frozen and all(not n.startswith("fc.") for n in frozen)
    assert frozen_parameters(model) == frozen
    before = copy.deepcopy(model.state_dict())
    _sgd_steps(model)
    after = model.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert changed and all(k.startswith("fc.") for k in changed), changed
    assert any("running_mean" in k for k in before)   # BN statistics were among the compared tensors


def test_without_train_mode_batch_norm_statistics_would_drift():
    model = get_model("smallcnn", num_classes=3)
    freeze(model, [BACKBONE])
    before = model.stem[1].running_mean.clone()
    model.train()(torch.randn(4, 3, 32, 32))
    assert not torch.equal(before, model.stem[1].running_mean)
    train_mode(model)
    assert not model.stem[1].training and model.fc.training


def test_unfreeze_and_pattern_errors():
    model = get_model("smallcnn", num_classes=3)
    frozen = freeze(model, [".*"], unfreeze=[r"stage2\.1\."])
    assert not any(n.startswith("stage2.1.") for n in frozen)
    assert unfreeze(model, [r"fc\."]) == ["fc.weight", "fc.bias"]
    assert model.fc.weight.requires_grad and not model.stem[0].weight.requires_grad
    with pytest.raises(ConfigError, match=r"model.freeze: pattern 'layer1' matches no parameter.*valid: stem"):
        freeze(model, ["layer1"])


def test_replace_head_is_new_and_trainable():
    model = get_model("resnet18", num_classes=3)
    freeze(model, [".*"])
    replace_head(model, 5)
    assert model.fc.out_features == 5 and model.fc.weight.requires_grad
    assert frozen_parameters(model) and "fc.weight" not in frozen_parameters(model)


def test_checkpoint_with_other_class_count_needs_replace_head():
    old = get_model("smallcnn", num_classes=2).state_dict()
    model = get_model("smallcnn", num_classes=4)
    with pytest.raises(ConfigError) as err:
        check_compatible(model, old)
    assert str(err.value) == ("model.num_classes: checkpoint has 2 classes, model has 4; "
                              "pass model.replace_head=true to train a new head")
    skip = check_compatible(model, old, replace_head=True)
    assert sorted(skip) == ["fc.bias", "fc.weight"]
    head = model.fc.weight.clone()
    report = load_state(model, old, skip=skip)
    assert torch.equal(model.fc.weight, head) and torch.equal(model.stem[0].weight, old["stem.0.weight"])
    assert report.missing == ["fc.weight", "fc.bias"] and not report.unexpected


def test_checkpoint_with_other_input_channels_is_refused():
    old = get_model("resnet18", num_classes=2, in_chans=3).state_dict()
    with pytest.raises(ConfigError, match="model.in_chans: checkpoint has 3 input channels, model has 1"):
        check_compatible(get_model("resnet18", num_classes=2, in_chans=1), old, replace_head=True)


def test_include_and_exclude_patterns():
    source = get_model("smallcnn", num_classes=3)
    model = get_model("smallcnn", num_classes=3)
    report = load_state(model, source.state_dict(), include=[r"stem\.", r"stage1\."], exclude=[r"stage1\.1\."])
    assert report.loaded and all(k.startswith(("stem.", "stage1.0.")) for k in report.loaded)
    assert torch.equal(model.stage1[0][0].weight, source.stage1[0][0].weight)
    assert not torch.equal(model.stage1[1][0].weight, source.stage1[1][0].weight)
    assert "stage2.0.0.weight" in report.missing and "excluded" in str(report)
    with pytest.raises(ConfigError, match="model.load_include"):
        load_state(model, source.state_dict(), include=["decoder"])


def test_eval_mode_restores_each_module_including_frozen_batch_norm():
    from argonet.models.freezing import eval_mode, train_mode

    model = get_model("resnet18", num_classes=3)
    freeze(model, [r"^(conv1|bn1|layer)"])
    train_mode(model)
    before = {name: m.training for name, m in model.named_modules()}
    assert before["fc"] and not before["bn1"]
    with eval_mode(model):
        assert not any(m.training for m in model.modules())
    assert {name: m.training for name, m in model.named_modules()} == before


def test_views_checkpoint_with_other_view_count_names_the_head():
    old = get_model("resnet18-views", num_classes=4, in_chans=3).state_dict()
    with pytest.raises(ConfigError, match=r"does not fit ResNetViewsClassifier: fc.weight is \(4, 1536\) there, "
                                          r"\(4, 512\) in the model"):
        check_compatible(get_model("resnet18-views", num_classes=4, in_chans=1), old)
    skip = check_compatible(get_model("resnet18-views", num_classes=2, in_chans=1), old, replace_head=True)
    assert skip == ["fc.weight", "fc.bias"]   # a new head on the shared backbone
