"""The sparse UResNet equals the dense UResNet with the same weights whose every layer outside the deepest
(dense) block is read at the active sites; forward and all gradients, float64, 1 and 2 threads; bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from argonet.errors import ConfigError, DataError
from argonet.models.freezing import check_compatible
from argonet.models.registry import get_model, list_models
from argonet.models.uresnet import UResNet

SHAPE = (24, 32)
TINY = dict(depth=3, filters=3, blocks_per_layer=1, blocks_deepest=1, deepest_filters=6)
OPTIONS = [dict(), dict(downsampling="conv", upsampling="conv", connections="sum", residual=False),
           dict(growth="multiplicative", connections="none", blocks_per_layer=2)]


def _twin(sparse: nn.Module, options: dict, mask: torch.Tensor) -> UResNet:
    """The dense UResNet with the sparse one's weights, each layer's output (outside ``deepest``) multiplied by
    the active-site mask of its resolution."""
    dense = UResNet(3, 3, **{**TINY, **options}).double()
    state = sparse.state_dict()
    state.pop("sparse_layout")
    dense.load_state_dict(state)
    masks, m = {}, mask.reshape(-1, 1, *mask.shape[-2:]).double()
    for _ in range((options.get("depth") or TINY["depth"]) + 1):
        masks[tuple(m.shape[-2:])] = m
        m = F.max_pool2d(m, 2)

    def keep_active(module, inputs, out):
        if out.ndim == 4 and out.shape[0] == m.shape[0]:
            return out * masks[tuple(out.shape[-2:])]
        return None

    for name, module in dense.named_modules():
        if name and name.split(".")[0] != "deepest":
            module.register_forward_hook(keep_active)
    return dense.train(sparse.training)


def _randomise_norms(model: nn.Module) -> None:
    """Batch-norm statistics and affine parameters away from their identity defaults."""
    g = torch.Generator().manual_seed(9)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)


@pytest.mark.parametrize("options", OPTIONS, ids=["default", "conv-sum-plain", "mult-none"])
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_sparse_uresnet_equals_its_masked_dense_twin(threads, tracks, options, train):
    batch, planes = 2, 3
    mask = tracks(batch * planes, SHAPE, seed=len(options)).reshape(batch, planes, *SHAPE)
    # batch norm in training normalises over the active sites only, which the dense twin cannot: train without it
    sparse = get_model("sparse-uresnet", num_classes=3, in_chans=planes, **{**TINY, **options},
                       batch_norm=not train).double().train(train)
    _randomise_norms(sparse)
    dense = _twin(sparse, {**options, "batch_norm": not train}, mask)
    g = torch.Generator().manual_seed(1)
    image = (torch.rand(batch, planes, *SHAPE, generator=g, dtype=torch.float64) * mask).requires_grad_(True)
    coords = mask.nonzero()
    shuffle = torch.randperm(len(coords), generator=g)                 # rows in any order
    coords = coords[shuffle]
    features = image.detach()[mask][shuffle][:, None].clone().requires_grad_(True)
    logits = sparse(coords, features, SHAPE, batch)
    expected = dense(image).permute(0, 1, 3, 4, 2)[tuple(coords.t())]
    torch.testing.assert_close(logits, expected, rtol=1e-9, atol=1e-10)
    weights = torch.randn(logits.shape, generator=g, dtype=torch.float64)
    names = [n for n, _ in sparse.named_parameters()]
    got = torch.autograd.grad((logits * weights).sum(), [features, *sparse.parameters()])
    want = torch.autograd.grad((expected * weights).sum(), [image, *dict(dense.named_parameters()).values()])
    torch.testing.assert_close(got[0][:, 0], want[0][tuple(coords.t())], rtol=1e-9, atol=1e-10)
    dense_params = dict(zip([n for n, _ in dense.named_parameters()], want[1:]))
    for name, grad in zip(names, got[1:]):
        torch.testing.assert_close(grad, dense_params[name], rtol=1e-9, atol=1e-10, msg=name)


def test_registered_and_any_image_size(tracks):
    assert "sparse-uresnet" in list_models()
    model = get_model("sparse-uresnet", num_classes=3, in_chans=2, **TINY).eval()
    mask = tracks(2, (37, 29), seed=3)                                 # odd sizes: no multiple of 2**depth needed
    coords = torch.cat([torch.zeros(int(mask.sum()), 1, dtype=torch.long), mask.nonzero()], dim=1)
    logits = model(coords, torch.rand(len(coords), 1), (37, 29), 1)
    assert logits.shape == (len(coords), 3) and torch.isfinite(logits).all()


def test_bad_input_is_one_clear_error():
    model = get_model("sparse-uresnet", num_classes=3, in_chans=3, **TINY)
    with pytest.raises(DataError, match="no active pixel"):
        model(torch.zeros(0, 4, dtype=torch.long), torch.zeros(0, 1), SHAPE, 1)
    with pytest.raises(DataError, match=r"\(image, y, x\) = \(1, 24, 5\) lies outside"):
        model(torch.tensor([[0, 0, 3, 4], [0, 1, 24, 5]]), torch.ones(2, 1), SHAPE, 1)
    with pytest.raises(DataError, match="listed twice"):
        model(torch.tensor([[0, 0, 3, 4], [0, 0, 3, 4]]), torch.ones(2, 1), SHAPE, 1)
    with pytest.raises(DataError, match="plane indices"):
        model(torch.tensor([[0, 3, 3, 4]]), torch.ones(1, 1), SHAPE, 1)
    dense_state = UResNet(3, 3, **TINY).state_dict()
    with pytest.raises(ConfigError, match="dense network's weights"):
        check_compatible(model, dense_state)
    check_compatible(model, model.state_dict())                       # its own checkpoint fits


def test_recomputed_blocks_give_the_same_gradients_and_statistics(tracks, monkeypatch):
    """Training with the blocks recomputed in backward: same gradients, batch-norm statistics updated once."""
    from argonet.models.sparse import uresnet as sparse_uresnet

    mask = tracks(2, SHAPE, seed=5)
    coords = torch.cat([torch.zeros(int(mask.sum()), 1, dtype=torch.long), mask.nonzero()], dim=1)
    features = torch.rand(len(coords), 1, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    results = []
    for levels in (0, TINY["depth"]):
        monkeypatch.setattr(sparse_uresnet, "RECOMPUTE_LEVELS", levels)
        torch.manual_seed(0)
        model = get_model("sparse-uresnet", num_classes=3, in_chans=2, **TINY).double().train()
        model(coords, features, SHAPE, 1).square().sum().backward()
        results.append(({n: p.grad for n, p in model.named_parameters()}, model.state_dict()))
    (grads0, state0), (grads1, state1) = results
    assert grads0.keys() == grads1.keys() and all(torch.allclose(grads0[n], grads1[n]) for n in grads0)
    assert all(torch.equal(state0[n], state1[n]) for n in state0 if "running" in n or "num_batches" in n)
    assert any(not torch.equal(state0[n], torch.zeros_like(state0[n])) for n in state0 if "running_mean" in n)
