"""The UResNet: output shape for every depth and resampling option, shared plane weights, clear size errors."""

from __future__ import annotations

import itertools

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.registry import get_model, list_models
from argonet.models.uresnet import Block, UResNet, parameter_count

TINY = dict(filters=2, blocks_per_layer=1, blocks_deepest=1)


@pytest.mark.parametrize("depth, downsampling, upsampling",
                         list(itertools.product([1, 2, 3, 4], ["max_pool", "conv"], ["interpolate", "conv"])))
def test_output_matches_input_for_every_depth_and_resampling(depth, downsampling, upsampling):
    model = UResNet(3, 3, depth=depth, downsampling=downsampling, upsampling=upsampling, **TINY)
    side = 2 ** depth
    x = torch.rand(2, 3, 2 * side, 3 * side)
    assert model(x).shape == (2, 3, 3, 2 * side, 3 * side)


@pytest.mark.parametrize("connections, residual, batch_norm, growth",
                         [("concat", True, True, "multiplicative"), ("sum", False, True, "additive"),
                          ("none", True, False, "additive"), ("sum", True, False, "multiplicative")])
def test_every_block_and_skip_option_keeps_the_shape(connections, residual, batch_norm, growth):
    model = UResNet(3, 2, depth=2, connections=connections, residual=residual, batch_norm=batch_norm,
                    growth=growth, filters=3, blocks_per_layer=2, blocks_deepest=2, deepest_filters=5)
    assert model(torch.rand(1, 2, 8, 12)).shape == (1, 2, 3, 8, 12)
    assert model.widths == ([3, 6, 12] if growth == "multiplicative" else [3, 6, 9])


def test_image_sizes_the_depth_cannot_halve_are_refused():
    model = UResNet(3, 3, depth=3, **TINY)
    with pytest.raises(ConfigError, match=r"uresnet.depth: the input image is \(20, 16\) pixels, which depth 3 cannot "
                                          r"halve evenly \(both sizes must be multiples of 8, e\.g\. \(16, 16\)\)"):
        model(torch.rand(1, 3, 20, 16))
    with pytest.raises(ConfigError, match=r"model.in_chans: the network takes \(batch, 3 planes, H, W\)"):
        model(torch.rand(1, 2, 16, 16))


def test_planes_share_the_encoder_and_decoder_and_meet_at_the_deepest_layer():
    torch.manual_seed(0)
    model = UResNet(3, 3, depth=2, **TINY).eval()
    # the stem takes one plane at a time; only the deepest layer is as wide as all planes together
    assert model.stem[0].in_channels == 1
    assert model.deepest[0].in_channels == 3 * model.widths[-1]
    one_plane = UResNet(3, 1, depth=2, **TINY)
    shapes = {k: v.shape for k, v in model.state_dict().items() if not k.startswith("deepest.")}
    assert shapes == {k: v.shape for k, v in one_plane.state_dict().items() if not k.startswith("deepest.")}
    seen = []
    model.encoders[0].register_forward_hook(lambda module, args, out: seen.append(out.detach().clone()))
    x = torch.rand(1, 3, 8, 8)
    x[0, 1] = x[0, 0]                            # planes 0 and 1 identical, plane 2 different
    with torch.no_grad():
        base = model(x)
        moved = x.clone()
        moved[0, 2] = torch.rand(8, 8)           # change plane 2 only
        out = model(moved)
    features = seen[0].reshape(1, 3, *seen[0].shape[1:])
    assert torch.equal(features[0, 0], features[0, 1])          # the same encoder weights on every plane
    assert not torch.allclose(features[0, 0], features[0, 2])
    # every plane's output changes with plane 2: the planes meet at the deepest layer
    assert all(not torch.allclose(base[0, p], out[0, p]) for p in range(3))


def test_registered_with_the_parameter_count_in_its_report():
    assert "uresnet" in list_models()
    model = get_model("uresnet", num_classes=3, in_chans=3, weights=None, depth=2, **TINY)
    assert isinstance(model, UResNet)
    assert f"{parameter_count(model) / 1e6:.3f} M parameters" in model.load_report
    with pytest.raises(ConfigError, match="model.weights: uresnet has no pretrained weights"):
        get_model("uresnet", weights="IMAGENET1K_V1")
    with pytest.raises(ConfigError,
                       match=r"uresnet.upsampling: unknown option 'bilinear' \(valid: interpolate, conv\)"):
        UResNet(3, 3, depth=2, upsampling="bilinear")


def test_defaults_are_cosmictaggers_network():
    model = UResNet(depth=6)
    assert model.widths == [16, 32, 48, 64, 80, 96, 112]                 # 16 filters, growing by 16
    assert model.deepest[0].out_channels == 256                           # bottleneck where the planes meet
    deepest = [m for m in model.deepest.modules() if isinstance(m, Block)]
    assert len(deepest) == 5 and deepest[0].body[0].kernel_size == (5, 5)
    assert len(model.encoders[0]) == 2
    assert model.encoders[0][0].residual and isinstance(model.downs[0].body[0], torch.nn.MaxPool2d)
