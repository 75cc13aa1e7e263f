"""Every sparse layer equals its dense torch counterpart read at the active sites: forward, input and
weight gradients, float64, with 1 and 2 torch threads, on random track-like images."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from argonet.models.sparse import grid as grid_module
from argonet.models.sparse import layers
from argonet.models.sparse.grid import Grid
from argonet.models.sparse.layers import (DownConv2d, NearestUp, SparseBatchNorm, SparseMaxPool2d, SparseTensor,
                                          SubmConv2d, UpConv2d)

SHAPE = (24, 34)
N_IMAGES = 3
TOL = dict(rtol=1e-10, atol=1e-10)


def _sparse_input(track_mask, seed: int, chans: int, positive: bool = False):
    """(dense (n, C, H, W) zero outside the mask, mask, SparseTensor of the same values with grad)."""
    mask = track_mask(N_IMAGES, SHAPE, seed)
    g = torch.Generator().manual_seed(seed + 100)
    dense = torch.randn(N_IMAGES, chans, *SHAPE, generator=g, dtype=torch.float64)
    dense = (dense.abs() if positive else dense) * mask[:, None]
    grid, _ = Grid.from_coords(mask.nonzero(), SHAPE, N_IMAGES)
    c = grid.coords
    features = dense[c[:, 0], :, c[:, 1], c[:, 2]].clone().requires_grad_(True)
    return dense.requires_grad_(True), mask, SparseTensor(features, grid)


def _at(dense: torch.Tensor, grid: Grid) -> torch.Tensor:
    """(N, C) rows of a dense (n, C, H, W) array at the sites of ``grid``."""
    c = grid.coords
    return dense[c[:, 0], :, c[:, 1], c[:, 2]]


def _check(sparse_out: SparseTensor, dense_out: torch.Tensor, x_sparse: SparseTensor, x_dense: torch.Tensor,
           params: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Outputs equal at the output sites; a random loss on them gives equal input and parameter gradients."""
    expected = _at(dense_out, sparse_out.grid)
    torch.testing.assert_close(sparse_out.features, expected, **TOL)
    weights = torch.randn(expected.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    sparse_grads = torch.autograd.grad((sparse_out.features * weights).sum(),
                                       [x_sparse.features] + [p for p, _ in params])
    dense_grads = torch.autograd.grad((expected * weights).sum(), [x_dense] + [q for _, q in params])
    torch.testing.assert_close(sparse_grads[0], _at(dense_grads[0], x_sparse.grid), **TOL)
    for got, want in zip(sparse_grads[1:], dense_grads[1:]):
        torch.testing.assert_close(got, want, **TOL)


@pytest.mark.parametrize("kernel, bias", [(1, True), (3, False), (3, True), (5, True)])
@pytest.mark.parametrize("occupancy", [2.0, 0.0], ids=["rulebook", "dense"])
def test_submanifold_conv_equals_conv2d_at_the_active_sites(threads, tracks, kernel, bias, occupancy, monkeypatch):
    monkeypatch.setattr(layers, "DENSE_OCCUPANCY", occupancy)     # both ways a convolution can run
    x_dense, _, x = _sparse_input(tracks, kernel, 3)
    conv = SubmConv2d(3, 5, kernel, bias=bias).double()
    weight = conv.weight.detach().clone().requires_grad_(True)
    b = conv.bias.detach().clone().requires_grad_(True) if bias else None
    out = conv(x)
    assert out.grid is x.grid
    params = [(conv.weight, weight)] + ([(conv.bias, b)] if bias else [])
    _check(out, F.conv2d(x_dense, weight, b, padding=kernel // 2), x, x_dense, params)


@pytest.mark.parametrize("gather_bytes", [1 << 30, 1000], ids=["whole", "pieces"])
@pytest.mark.parametrize("kernel", [3, 5])
def test_submanifold_conv_gathering_all_neighbours_equals_conv2d(threads, tracks, kernel, gather_bytes,
                                                                   monkeypatch):
    monkeypatch.setattr(layers, "DENSE_OCCUPANCY", 2.0)
    monkeypatch.setattr(layers, "GATHER_ALL_DTYPES", (torch.float64,))     # the 16-bit path, in float64
    monkeypatch.setattr(layers, "GATHER_BYTES", gather_bytes)             # one gather, or a few sites at a time
    x_dense, _, x = _sparse_input(tracks, kernel, 3)
    conv = SubmConv2d(3, 5, kernel, bias=True).double()
    weight, b = (p.detach().clone().requires_grad_(True) for p in (conv.weight, conv.bias))
    _check(conv(x), F.conv2d(x_dense, weight, b, padding=kernel // 2), x, x_dense,
           [(conv.weight, weight), (conv.bias, b)])


def test_down_conv_equals_strided_conv2d_at_every_cell_with_an_active_pixel(threads, tracks):
    x_dense, mask, x = _sparse_input(tracks, 11, 4)
    conv = DownConv2d(4, 6, bias=True).double()
    weight, b = (p.detach().clone().requires_grad_(True) for p in (conv.weight, conv.bias))
    out = conv(x)
    cells = F.max_pool2d(mask[:, None].double(), 2)[:, 0] > 0
    assert torch.equal(out.grid.coords, cells.nonzero())
    _check(out, F.conv2d(x_dense, weight, b, stride=2), x, x_dense, [(conv.weight, weight), (conv.bias, b)])


def test_up_conv_equals_conv_transpose2d_and_restores_exactly_the_fine_sites(threads, tracks):
    _, mask, fine = _sparse_input(tracks, 12, 2)
    coarse_grid = fine.grid.coarser()
    g = torch.Generator().manual_seed(3)
    coarse_dense = torch.zeros(N_IMAGES, 4, SHAPE[0] // 2, SHAPE[1] // 2, dtype=torch.float64)
    c = coarse_grid.coords
    coarse_dense[c[:, 0], :, c[:, 1], c[:, 2]] = torch.randn(len(c), 4, generator=g, dtype=torch.float64)
    coarse_dense.requires_grad_(True)
    x = SparseTensor(_at(coarse_dense, coarse_grid).detach().clone().requires_grad_(True), coarse_grid)
    conv = UpConv2d(4, 3, bias=True).double()
    weight, b = (p.detach().clone().requires_grad_(True) for p in (conv.weight, conv.bias))
    out = conv(x, fine.grid)
    assert torch.equal(out.grid.coords, mask.nonzero())       # exactly the fine sites, in order
    _check(out, F.conv_transpose2d(coarse_dense, weight, b, stride=2), x, coarse_dense,
           [(conv.weight, weight), (conv.bias, b)])


def test_max_pool_and_nearest_up_equal_their_dense_versions(threads, tracks):
    x_dense, _, x = _sparse_input(tracks, 13, 3, positive=True)       # ReLU outputs: features >= 0
    pooled = SparseMaxPool2d()(x)
    _check(pooled, F.max_pool2d(x_dense, 2), x, x_dense, [])
    coarse_dense = torch.zeros(N_IMAGES, 3, SHAPE[0] // 2, SHAPE[1] // 2, dtype=torch.float64)
    c = pooled.grid.coords
    coarse_dense[c[:, 0], :, c[:, 1], c[:, 2]] = pooled.features.detach()
    coarse_dense.requires_grad_(True)
    coarse = SparseTensor(pooled.features.detach().clone().requires_grad_(True), pooled.grid)
    up = NearestUp()(coarse, x.grid)
    _check(up, F.interpolate(coarse_dense, scale_factor=2.0, mode="nearest"), coarse, coarse_dense, [])


def test_batch_norm_uses_the_active_sites_only(threads, tracks):
    x_dense, mask, x = _sparse_input(tracks, 14, 3)
    norm = SparseBatchNorm(3).double()
    out = norm(x)
    active = x_dense.detach().permute(0, 2, 3, 1)[mask]
    mean, var = active.mean(0), active.var(0, unbiased=False)
    torch.testing.assert_close(out.features, (x.features - mean) / torch.sqrt(var + norm.eps), **TOL)
    torch.testing.assert_close(norm.running_mean, 0.1 * mean, **TOL)


def test_rulebook_pairs_are_the_active_neighbours(tracks):
    mask = tracks(2, SHAPE, 6)
    grid, _ = Grid.from_coords(mask.nonzero(), SHAPE, 2)
    book = grid.rulebook(3)
    assert sum(book.counts) == len(book.inputs) == len(book.outputs)
    offsets = torch.repeat_interleave(torch.arange(9), torch.tensor(book.counts))
    assert not (offsets == 4).any()                                  # the centre is applied to every row directly
    dy, dx = offsets // 3 - 1, offsets % 3 - 1
    a, b = grid.coords[book.outputs], grid.coords[book.inputs]
    assert torch.equal(b - a, torch.stack([torch.zeros_like(dy), dy, dx], dim=1))
    expected = sum(int(((grid.coords[:, None, 1:] + torch.tensor([y, x]) == grid.coords[None, :, 1:]).all(-1)
                        & (grid.coords[:, None, 0] == grid.coords[None, :, 0])).sum())
                   for y in (-1, 0, 1) for x in (-1, 0, 1) if (y, x) != (0, 0))
    assert len(book.inputs) == expected                              # every active neighbour pair, once


def test_rulebooks_are_contiguous_cached_and_three_cut_from_five(tracks, monkeypatch):
    mask = tracks(2, SHAPE, 5)
    grid, _ = Grid.from_coords(mask.nonzero(), SHAPE, 2)
    five = grid.neighbours(5)
    three = grid.neighbours(3)
    assert grid.neighbours(5) is five and five.is_contiguous() and three.is_contiguous()
    fresh, _ = Grid.from_coords(mask.nonzero(), SHAPE, 2)
    assert torch.equal(three, fresh.neighbours(3))             # searched directly, same table
    monkeypatch.setattr(grid_module, "LOOKUP_MAP_MAX", 0)      # binary search instead of the dense map
    searched, _ = Grid.from_coords(mask.nonzero(), SHAPE, 2)
    assert torch.equal(five, searched.neighbours(5))
    coarse = grid.coarser()
    assert grid.coarser() is coarse
    assert grid.rulebook(3) is grid.rulebook(3)
    subm, down, up = grid.rulebook(5), grid.down_rulebook(), grid.up_rulebook()
    for t in (five, three, subm.inputs):                       # the largest index tensors
        assert t.is_contiguous() and t.dtype == torch.int32
    for t in (coarse.children, grid.parent, grid.slot, coarse.keys, grid.keys, subm.outputs, down.inputs,
              down.outputs, up.inputs, up.outputs):
        assert t.is_contiguous() and t.dtype == torch.long


def test_grid_keeps_no_dense_key_map():
    coords = torch.tensor([[0, 5, 5], [0, 5, 6], [0, 6, 5], [1, 400, 300], [1, 401, 301]])
    grid, _ = Grid.from_coords(coords, (512, 512), 2)               # the key map would hold 2 x 518 x 518 rows
    grid.neighbours(5), grid.neighbours(3), grid.rulebook(3), grid.down_rulebook()
    held = [v for v in vars(grid).values() if isinstance(v, torch.Tensor)] + list(grid._neighbours.values())
    held += [t for book in grid._rulebooks.values() for t in (book.inputs, book.outputs)]
    assert max(t.numel() for t in held) <= 5 * 25                   # tables of the five active sites only
