"""Sparse UResNet: CosmicTagger's layout (``argonet.models.uresnet``) on the active pixels only.

Every plane of every event is one sparse image; planes share the encoder and decoder, whose
layers are submanifold convolutions (activity never dilates), and meet at the deepest level,
where each plane's few coarse sites are written into a small dense map and the planes'
feature maps go through the same dense block as the dense UResNet's (concatenated along the
channels). The options and the names and shapes of the parameters are the dense UResNet's, so
the two differ only in where they compute: this network equals a dense UResNet whose every
layer outside the deepest block is read at (multiplied by the mask of) the active sites.

    input   coords (N, 4) int = (event, plane, y, x), features (N, 1) charge, image shape (H, W)
    output  logits (N, K) of K classes, in the input's row order

H and W need not be multiples of 2**depth (odd sizes round up when halved). Batch norm counts
active sites only. In training, the encoder and decoder blocks of the ``RECOMPUTE_LEVELS`` finest
levels keep only their inputs for backward and run again there (activation checkpointing: the
same gradients for less memory; batch-norm running statistics are updated once); at the other
levels the outputs of batch norm + ReLU and of the residual blocks are rebuilt in backward from
the convolution outputs the batch norms keep (``argonet.models.sparse.rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
import logging

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from argonet.errors import ConfigError, DataError
from argonet.models.registry import register_model
from argonet.models.sparse.grid import Grid
from argonet.models.sparse.layers import (DownConv2d, NearestUp, SparseBatchNorm, SparseMaxPool2d, SparseReLU,
                                          SparseTensor, SubmConv2d, UpConv2d, from_dense, to_dense)
from argonet.models.sparse.rebuild import note_residual_output, rebuilt_norm_outputs, relu_noted_
from argonet.models.uresnet import _blocks as dense_blocks
from argonet.models.uresnet import check_options, level_widths
from argonet.models.uresnet import _conv as dense_conv
from argonet.models.uresnet import parameter_count

log = logging.getLogger(__name__)

#: name in the registry
SPARSE_MODEL = "sparse-uresnet"
#: levels (finest first) whose blocks are recomputed in backward when training
RECOMPUTE_LEVELS = 2


@contextmanager
def _frozen_statistics(module: nn.Module) -> Iterator[None]:
    """Batch norms of ``module`` leave their running statistics as they are (for a recomputed forward)."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    kept = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(norms, kept):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def _recomputed(module: nn.Module, run: Callable[..., SparseTensor], *inputs: SparseTensor) -> SparseTensor:
    """``run(*inputs)`` whose intermediate results are recomputed in backward instead of kept."""
    calls = []

    def features(*rows: Tensor) -> Tensor:
        calls.append(1)
        args = [x.replace(f) for x, f in zip(inputs, rows)]
        if len(calls) == 1:
            return run(*args).features
        with _frozen_statistics(module):
            return run(*args).features

    out = checkpoint(features, *(x.features for x in inputs), use_reentrant=False)
    return inputs[0].replace(out)


def _conv(in_chans: int, out_chans: int, batch_norm: bool, kernel: int = 3) -> list[nn.Module]:
    """A submanifold convolution, then batch norm when asked (the convolution then has no bias)."""
    layers: list[nn.Module] = [SubmConv2d(in_chans, out_chans, kernel, bias=not batch_norm)]
    return layers + ([SparseBatchNorm(out_chans)] if batch_norm else [])


class Block(nn.Module):
    """Plain (conv, norm, ReLU) or residual (two convolutions around an identity) 3x3 block."""

    def __init__(self, chans: int, residual: bool, batch_norm: bool):
        super().__init__()
        self.residual = residual
        second = [*_conv(chans, chans, batch_norm)] if residual else []
        self.body = nn.Sequential(*_conv(chans, chans, batch_norm), SparseReLU(), *second)

    def forward(self, x: SparseTensor) -> SparseTensor:
        if self.residual:
            normed = self.body(x).features
            out = x.features + normed
            note_residual_output(out, x.features, normed)
            return x.replace(relu_noted_(out))
        return self.body(x)


class Down(nn.Module):
    """Onto the coarser grid, ``in_chans`` → ``out_chans``: max pool + 1x1 or strided 2x2 convolution."""

    def __init__(self, in_chans: int, out_chans: int, mode: str, batch_norm: bool):
        super().__init__()
        if mode == "max_pool":
            layers = [SparseMaxPool2d(), *_conv(in_chans, out_chans, batch_norm, kernel=1)]
        else:
            layers = [DownConv2d(in_chans, out_chans, bias=not batch_norm)]
            layers += [SparseBatchNorm(out_chans)] if batch_norm else []
        self.body = nn.Sequential(*layers, SparseReLU())

    def forward(self, x: SparseTensor) -> SparseTensor:
        return self.body(x)


class Up(nn.Module):
    """Back onto the finer grid, ``in_chans`` → ``out_chans``: nearest + 1x1 or transposed 2x2 convolution."""

    def __init__(self, in_chans: int, out_chans: int, mode: str, batch_norm: bool):
        super().__init__()
        if mode == "interpolate":
            self.up, layers = NearestUp(), _conv(in_chans, out_chans, batch_norm, kernel=1)
        else:
            self.up = None
            layers = [UpConv2d(in_chans, out_chans, bias=not batch_norm)]
            layers += [SparseBatchNorm(out_chans)] if batch_norm else []
        self.body = nn.Sequential(*layers, SparseReLU())

    def forward(self, x: SparseTensor, fine: Grid) -> SparseTensor:
        if self.up is not None:          # a 1 x 1 convolution commutes with the nearest copy: run it on the cells
            return self.body[1:](self.up(self.body[0](x), fine))
        return self.body[1:](self.body[0](x, fine))


class Join(nn.Module):
    """Merge the up-sampled features with the encoder's skip connection (same sites)."""

    def __init__(self, chans: int, mode: str, batch_norm: bool):
        super().__init__()
        self.mode = mode
        if mode == "concat":
            self.body = nn.Sequential(*_conv(2 * chans, chans, batch_norm, kernel=1), SparseReLU())

    def forward(self, x: SparseTensor, skip: SparseTensor) -> SparseTensor:
        if self.mode == "concat":
            return self.body[1:](self.body[0].joined(x, skip))
        if self.mode == "sum":
            return x.replace(x.features + skip.features)
        return x


class SparseUResNet(nn.Module):
    """The sparse twin of ``argonet.models.uresnet.UResNet`` described in the module docstring."""

    sparse_input = True      # takes (coords, features, shape), not dense images

    def __init__(self, num_classes: int = 3, in_chans: int = 3, *, depth: int = 6, filters: int = 16,
                 growth: str = "additive", blocks_per_layer: int = 2, blocks_deepest: int = 5,
                 deepest_filters: int | None = 256, deepest_kernel: int = 5, residual: bool = True,
                 batch_norm: bool = True, downsampling: str = "max_pool", upsampling: str = "interpolate",
                 connections: str = "concat"):
        super().__init__()
        check_options(num_classes, in_chans, depth=depth, filters=filters, growth=growth,
                      blocks_per_layer=blocks_per_layer, blocks_deepest=blocks_deepest,
                      deepest_kernel=deepest_kernel, downsampling=downsampling, upsampling=upsampling,
                      connections=connections)
        self.num_classes, self.in_chans, self.depth = num_classes, in_chans, depth
        self.widths = widths = level_widths(filters, growth, depth)
        self.register_buffer("sparse_layout", torch.ones((), dtype=torch.uint8))   # marks sparse checkpoints
        self.stem = nn.Sequential(*_conv(1, filters, batch_norm, kernel=5), SparseReLU())
        self.encoders = nn.ModuleList(
            nn.Sequential(*(Block(widths[k], residual, batch_norm) for _ in range(blocks_per_layer)))
            for k in range(depth))
        self.downs = nn.ModuleList(Down(widths[k], widths[k + 1], downsampling, batch_norm) for k in range(depth))
        joined = in_chans * widths[depth]
        deepest = deepest_filters or joined
        self.deepest = nn.Sequential(*dense_conv(joined, deepest, batch_norm, kernel=1), nn.ReLU(inplace=True),
                                     dense_blocks(blocks_deepest, deepest, residual, batch_norm, deepest_kernel),
                                     *dense_conv(deepest, joined, batch_norm, kernel=1), nn.ReLU(inplace=True))
        self.ups = nn.ModuleList(Up(widths[k + 1], widths[k], upsampling, batch_norm) for k in range(depth))
        self.joins = nn.ModuleList(Join(widths[k], connections, batch_norm) for k in range(depth))
        self.decoders = nn.ModuleList(
            nn.Sequential(*(Block(widths[k], residual, batch_norm) for _ in range(blocks_per_layer)))
            for k in range(depth))
        self.head = SubmConv2d(filters, num_classes, 1, bias=True)

    def check_state(self, state: dict, source: str = "the checkpoint") -> None:
        """ConfigError when ``state`` is not a sparse UResNet's (a dense UResNet's has the same shapes)."""
        if "sparse_layout" not in state:
            raise ConfigError("model.checkpoint", f"{source} holds a dense network's weights, not a "
                              f"{SPARSE_MODEL}'s; train {SPARSE_MODEL} or give the checkpoint to its own model")

    def _deepest(self, x: SparseTensor, batch_size: int) -> SparseTensor:
        """The dense block where the planes meet, on each plane's coarse sites written into a dense map."""
        n, (h, w), c = x.grid.n_images, x.grid.shape, x.features.shape[1]
        dense = to_dense(x).reshape(batch_size, self.in_chans * c, h, w)
        return x.replace(from_dense(self.deepest(dense).reshape(n, c, h, w), x.grid))

    def _recompute(self, level: int) -> bool:
        """Whether the blocks of ``level`` are recomputed in backward (training with gradients)."""
        return level < RECOMPUTE_LEVELS and self.training and torch.is_grad_enabled()

    def _decode(self, level: int) -> Callable[[SparseTensor, SparseTensor], SparseTensor]:
        """Join of the up-sampled features with the skip, then the decoder blocks, at ``level``."""
        return lambda x, skip: self.decoders[level](self.joins[level](x, skip))

    def forward(self, coords: Tensor, features: Tensor, shape: tuple[int, int], batch_size: int) -> Tensor:
        """Logits (N, num_classes) of the sites ``coords`` (N, 4) = (event, plane, y, x) with ``features``
        (N, 1) in images of ``shape`` (H, W), ``batch_size`` events."""
        if coords.ndim != 2 or coords.shape[1] != 4 or features.shape != (coords.shape[0], 1):
            raise DataError(f"{SPARSE_MODEL} takes coords (N, 4) = (event, plane, y, x) and features (N, 1), got "
                            f"{tuple(coords.shape)} and {tuple(features.shape)}")
        if coords.shape[0] == 0:
            raise DataError(f"{SPARSE_MODEL}: the batch has no active pixel (every event is empty)")
        planes = coords[:, 1]
        if bool(((planes < 0) | (planes >= self.in_chans)).any()):
            raise DataError(f"{SPARSE_MODEL}: plane indices must lie in [0, {self.in_chans}), found "
                            f"{int(planes.min())}..{int(planes.max())}")
        if bool(((coords[:, 0] < 0) | (coords[:, 0] >= batch_size)).any()):
            raise DataError(f"{SPARSE_MODEL}: event indices must lie in [0, {batch_size})")
        with rebuilt_norm_outputs() if self.training and torch.is_grad_enabled() else nullcontext():
            logits, order = self._logits(coords, features, shape, batch_size)
        return logits.index_select(0, torch.argsort(order))

    def _logits(self, coords: Tensor, features: Tensor, shape: tuple[int, int],
                batch_size: int) -> tuple[Tensor, Tensor]:
        """Logits of the sites in the grid's (sorted) order, and that order."""
        planes = coords[:, 1]
        image = coords[:, 0] * self.in_chans + planes
        grid, order = Grid.from_coords(torch.stack([image, coords[:, 2], coords[:, 3]], dim=1),
                                       (int(shape[0]), int(shape[1])), batch_size * self.in_chans)
        y = self.stem(SparseTensor(features.index_select(0, order), grid))
        skips = []
        for k, (encode, down) in enumerate(zip(self.encoders, self.downs)):
            y = _recomputed(encode, encode, y) if self._recompute(k) else encode(y)
            skips.append(y)
            y = down(y)
        y = self._deepest(y, batch_size)
        for k in reversed(range(self.depth)):
            y, decode = self.ups[k](y, skips[k].grid), self._decode(k)
            y = _recomputed(self, decode, y, skips[k]) if self._recompute(k) else decode(y, skips[k])
        return self.head(y).features, order


@register_model(SPARSE_MODEL)
def sparse_uresnet(num_classes: int = 3, in_chans: int = 3, weights: str | None = None, depth: int = 6,
                   filters: int = 16, growth: str = "additive", blocks_per_layer: int = 2, blocks_deepest: int = 5,
                   deepest_filters: int | None = 256, deepest_kernel: int = 5, residual: bool = True,
                   batch_norm: bool = True, downsampling: str = "max_pool", upsampling: str = "interpolate",
                   connections: str = "concat") -> SparseUResNet:
    """CosmicTagger's UResNet on the active pixels only (same options and defaults as ``uresnet``), for
    full-resolution readouts on a CPU."""
    if weights is not None:
        raise ConfigError("model.weights", f"{SPARSE_MODEL} has no pretrained weights; continue from an argonet "
                          "checkpoint with model.checkpoint")
    model = SparseUResNet(num_classes, in_chans, depth=depth, filters=filters, growth=growth,
                          blocks_per_layer=blocks_per_layer, blocks_deepest=blocks_deepest,
                          deepest_filters=deepest_filters, deepest_kernel=deepest_kernel, residual=residual,
                          batch_norm=batch_norm, downsampling=downsampling, upsampling=upsampling,
                          connections=connections)
    model.load_report = (f"{SPARSE_MODEL}: {parameter_count(model) / 1e6:.3f} M parameters (depth {depth}, widths "
                         f"{model.widths}, {in_chans} planes sharing the encoder/decoder, {num_classes} classes)")
    log.info(model.load_report)
    return model
