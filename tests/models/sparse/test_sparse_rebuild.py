"""Batch-norm + ReLU outputs rebuilt in backward instead of kept: the same values and gradients."""

from contextlib import nullcontext

import pytest
import torch
from torch import nn

from argonet.models.sparse import rebuild
from argonet.models.sparse.grid import Grid
from argonet.models.sparse.layers import SparseBatchNorm, SparseReLU, SparseTensor, SubmConv2d

SHAPE = (24, 34)
BUILD = rebuild._Rebuild.__call__


def _run(tracks, monkeypatch, rebuilt: bool, dtype: torch.dtype, norm_training: bool, tamper: bool = False):
    """Gradients of conv → norm → ReLU → conv on a track image, the ReLU's output, what was rebuilt in
    backward and the norm's running mean."""
    grid, _ = Grid.from_coords(tracks(2, SHAPE, 3).nonzero(), SHAPE, 2)
    x = torch.randn(len(grid), 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = x.to(torch.float32 if dtype == torch.bfloat16 else dtype).requires_grad_(True)
    torch.manual_seed(0)
    first, norm, second = SubmConv2d(2, 4, 3, bias=False), SparseBatchNorm(4), SubmConv2d(4, 3, 3, bias=True)
    nn.ModuleList([first, norm, second]).to(x.dtype)
    norm.running_mean.fill_(0.3)
    norm.train(norm_training)
    rebuilt_rows = []
    monkeypatch.setattr(rebuild._Rebuild, "__call__", lambda self: rebuilt_rows.append(BUILD(self)) or rebuilt_rows[-1])
    with (rebuild.rebuilt_norm_outputs() if rebuilt else nullcontext()), \
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
        hidden = norm(first(SparseTensor(x, grid)))
        if tamper:
            hidden.features.mul_(2.0)             # an in-place change the rebuild could not know of
        hidden = SparseReLU()(hidden)
        kept = hidden.features.detach().clone()
        out = second(hidden).features
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(2)).to(out.dtype)
    grads = torch.autograd.grad((out * weights).sum(), [x, first.weight, norm.weight, second.weight])
    return grads, kept, rebuilt_rows, norm.running_mean.clone()


@pytest.mark.parametrize("norm_training", [True, False], ids=["batch-stats", "running-stats"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_rebuilt_norm_outputs_equal_the_kept_ones_and_give_the_same_gradients(tracks, monkeypatch, dtype,
                                                                                   norm_training):
    want, kept, none, stats = _run(tracks, monkeypatch, False, dtype, norm_training)
    got, kept_too, rows, stats_too = _run(tracks, monkeypatch, True, dtype, norm_training)
    assert not none and len(rows) == 2                   # the ReLU's output and the next convolution's input
    for row in rows:
        assert torch.equal(row, kept)                    # bit for bit, also in bf16
    assert torch.equal(kept_too, kept) and torch.equal(stats_too, stats)  # running statistics updated once
    for a, b in zip(got, want):
        assert torch.equal(a, b)


def test_a_norm_output_changed_in_place_before_the_relu_is_kept(tracks, monkeypatch):
    want, _, _, _ = _run(tracks, monkeypatch, False, torch.float64, True, tamper=True)
    got, _, rows, _ = _run(tracks, monkeypatch, True, torch.float64, True, tamper=True)
    assert not rows
    for a, b in zip(got, want):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_residual_block_outputs_are_rebuilt_with_the_same_gradients(tracks, monkeypatch, dtype):
    from argonet.models.sparse.uresnet import Block

    grid, _ = Grid.from_coords(tracks(2, SHAPE, 4).nonzero(), SHAPE, 2)
    results = []
    for rebuilt in (False, True):
        rows = []
        monkeypatch.setattr(rebuild._Rebuild, "__call__", lambda self, rows=rows: rows.append(BUILD(self)) or rows[-1])
        torch.manual_seed(0)
        blocks = nn.Sequential(Block(4, residual=True, batch_norm=True), Block(4, residual=True, batch_norm=True))
        x = torch.randn(len(grid), 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        x = x.to(torch.float32 if dtype == torch.bfloat16 else dtype).requires_grad_(True)
        blocks.to(x.dtype)
        with (rebuild.rebuilt_norm_outputs() if rebuilt else nullcontext()), \
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
            first = blocks[0](SparseTensor(x, grid))
            kept = first.features.detach().clone()
            out = blocks[1](first).features
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(2)).to(out.dtype)
        grads = torch.autograd.grad((out * weights).sum(), [x, *blocks.parameters()])
        results.append((grads, rows, kept))
    (want, none, _), (got, rows, kept) = results
    assert not none and any(torch.equal(r, kept) for r in rows)   # the first block's output was rebuilt
    for a, b in zip(got, want):
        assert torch.equal(a, b)
