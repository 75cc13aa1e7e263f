"""Every registered classifier honours the transfer-learning interface (timm tests/test_models.py style)."""

from __future__ import annotations

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.classifiers import FeatureHead, ResNetViewsClassifier
from argonet.models.registry import get_model, list_models

# the image classifiers with the transfer-learning interface (forward_features / forward_head / reset_classifier)
TRANSFER_MODELS = list_models(module="argonet.models.classifiers")

SIZE = 32   # the smallest input every network here accepts (GoogLeNet, ResNets: / 32)


@pytest.fixture(scope="module", params=TRANSFER_MODELS)
def built(request):
    torch.manual_seed(0)
    return request.param, get_model(request.param, num_classes=3, in_chans=3)


def test_output_shape_and_finite(built):
    name, model = built
    out = model.eval()(torch.randn(2, 3, SIZE, SIZE))
    assert out.shape == (2, 3)
    assert torch.isfinite(out).all()
    assert model.num_classes == 3 and model.in_chans == 3
    assert model.get_classifier().in_features == model.num_features


def test_every_trainable_parameter_gets_a_gradient(built):
    name, model = built
    model.train().zero_grad(set_to_none=True)
    model(torch.randn(2, 3, SIZE, SIZE)).square().sum().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum())]
    assert not missing, f"{name}: no gradient for {missing[:5]}"


def test_forward_is_head_of_features(built):
    name, model = built
    x = torch.randn(2, 3, SIZE, SIZE)
    model.eval()
    with torch.no_grad():
        logits = model(x)
        features = model.forward_features(x)
        pooled = model.forward_head(features, pre_logits=True)
        assert features.ndim == 4 and features.shape[1] == model.num_features
        assert pooled.shape == (2, model.num_features)
        torch.testing.assert_close(model.forward_head(features), logits, rtol=0, atol=0)
        torch.testing.assert_close(model.forward_head(pooled), logits, rtol=0, atol=0)
        torch.testing.assert_close(FeatureHead(model)(pooled), logits, rtol=0, atol=0)


def test_group_matcher_covers_every_parameter_in_order(built):
    import re
    name, model = built
    groups = model.group_matcher()
    assert list(groups)[-1] == "head" and len(groups) >= 3
    for pname, _ in model.named_parameters():
        hits = [g for g, pattern in groups.items() if re.match(pattern, pname)]
        assert len(hits) == 1, f"{name}: {pname} is in groups {hits}"
    first = next(iter(model.named_parameters()))[0]
    assert re.match(groups[list(groups)[0]], first)


@pytest.mark.parametrize("name", TRANSFER_MODELS)
def test_reset_classifier_changes_head_width(name):
    model = get_model(name, num_classes=3).eval()
    model.reset_classifier(7)
    assert model.num_classes == 7 and model.get_classifier().out_features == 7
    assert model(torch.randn(1, 3, SIZE, SIZE)).shape == (1, 7)
    model.reset_classifier(0)
    assert model(torch.randn(1, 3, SIZE, SIZE)).shape == (1, model.num_features)


@pytest.mark.parametrize("name", TRANSFER_MODELS)
@pytest.mark.parametrize("in_chans", [1, 2, 3])
def test_input_channels(name, in_chans):
    model = get_model(name, num_classes=2, in_chans=in_chans).eval()
    assert model.in_chans == in_chans
    conv = model.get_submodule(model.first_conv)
    assert conv.in_channels == (1 if isinstance(model, ResNetViewsClassifier) else in_chans)
    assert model(torch.randn(2, in_chans, SIZE, SIZE)).shape == (2, 2)


def test_bad_widths_are_config_errors():
    with pytest.raises(ConfigError, match="model.in_chans"):
        get_model("resnet18", in_chans=0)
    with pytest.raises(ConfigError, match="model.num_classes"):
        get_model("smallcnn", num_classes=-1)
    with pytest.raises(ConfigError, match="model.norm"):
        get_model("smallcnn", norm="layer")


def test_smallcnn_is_small():
    n = sum(p.numel() for p in get_model("smallcnn", num_classes=3).parameters())
    assert 1e5 < n < 5e5
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in get_model("smallcnn", norm="none").modules())


def test_views_model_runs_each_view_through_one_backbone():
    """resnet18-views: pooled features are the per-view features side by side, so swapping two views
    swaps their feature blocks, and one view's features do not depend on the other views."""
    torch.manual_seed(0)
    model = get_model("resnet18-views", num_classes=4, in_chans=3).eval()
    assert model.num_features == 3 * 512 and model.fc.in_features == 3 * 512
    x = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        pooled = model.forward_head(model.forward_features(x), pre_logits=True).reshape(2, 3, 512)
        swapped = model.forward_head(model.forward_features(x[:, [2, 1, 0]]), pre_logits=True).reshape(2, 3, 512)
        x[:, 1:] = 0
        alone = model.forward_head(model.forward_features(x), pre_logits=True).reshape(2, 3, 512)
    torch.testing.assert_close(swapped, pooled[:, [2, 1, 0]])
    torch.testing.assert_close(alone[:, 0], pooled[:, 0])
    assert not torch.allclose(pooled[:, 0], pooled[:, 1])
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\) images, one channel per view; got \(2, 2, 32, 32\)"):
        model(torch.randn(2, 2, SIZE, SIZE))
