"""UResNet for per-pixel segmentation of the wire planes (background / cosmic / neutrino), as SBND's CosmicTagger.

The planes are folded into the batch, so every plane goes through the same encoder and decoder
weights; at the deepest layer the planes' feature maps are concatenated along the channels, pass
through convolutions that see all planes at once (where the planes' views of one interaction
meet), and are split back into one feature map per plane for the decoder.

    input  (B, P, H, W)  charge, one channel per plane
    output (B, P, K, H, W) logits of K classes per pixel of each plane

Options (all with CosmicTagger's meaning): ``depth`` down-samplings; ``filters`` at full
resolution, growing ``multiplicative`` (doubling) or ``additive`` (+filters) at each level;
``blocks_per_layer`` convolution blocks per level on each side, ``blocks_deepest`` at the joined
deepest layer (``deepest_filters`` wide, ``deepest_kernel`` square kernels: CosmicTagger's
bottleneck); ``residual`` blocks or plain ones; ``batch_norm``;
down-sampling by ``max_pool`` or strided ``conv``; up-sampling by ``interpolate`` (nearest) or
transposed ``conv``; skip connections ``concat`` (then a 1x1 convolution), ``sum`` or ``none``.
H and W must be divisible by 2**depth.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from argonet.conf.segment import CONNECTIONS, DOWNSAMPLING, GROWTH, UPSAMPLING
from argonet.errors import ConfigError
from argonet.models.registry import register_model

log = logging.getLogger(__name__)


def level_widths(filters: int, growth: str, depth: int) -> list[int]:
    """Channels of each level, finest first (depth + 1 of them): filters x (k + 1), or x 2^k if multiplicative."""
    return [filters * 2 ** k if growth == "multiplicative" else filters * (k + 1) for k in range(depth + 1)]


def check_options(num_classes: int, in_chans: int, *, depth: int, filters: int, growth: str, blocks_per_layer: int,
                  blocks_deepest: int, deepest_kernel: int, downsampling: str, upsampling: str,
                  connections: str) -> None:
    """ConfigError naming the ``uresnet.*`` key of the first option a UResNet (dense or sparse) cannot be built with."""
    for name, value, low in (("model.num_classes", num_classes, 2), ("model.in_chans", in_chans, 1),
                             ("uresnet.depth", depth, 1), ("uresnet.filters", filters, 1),
                             ("uresnet.blocks_per_layer", blocks_per_layer, 0),
                             ("uresnet.blocks_deepest", blocks_deepest, 0),
                             ("uresnet.deepest_kernel", deepest_kernel, 1)):
        if value < low:
            raise ConfigError(name, f"must be >= {low} (got {value})")
    if deepest_kernel % 2 == 0:
        raise ConfigError("uresnet.deepest_kernel", f"must be odd (got {deepest_kernel})")
    for value, choices, field in ((growth, GROWTH, "growth"), (downsampling, DOWNSAMPLING, "downsampling"),
                                  (upsampling, UPSAMPLING, "upsampling"), (connections, CONNECTIONS, "connections")):
        _choice(value, choices, field)


def _choice(value: str, choices: tuple[str, ...], field: str) -> str:
    """``value`` when it is one of ``choices``; ConfigError naming ``uresnet.<field>`` otherwise."""
    if value not in choices:
        raise ConfigError(f"uresnet.{field}", f"unknown option {value!r}", choices)
    return value


def _conv(in_chans: int, out_chans: int, batch_norm: bool, kernel: int = 3) -> list[nn.Module]:
    """A same-size convolution, then batch norm when asked (the convolution then has no bias)."""
    layers: list[nn.Module] = [nn.Conv2d(in_chans, out_chans, kernel, padding=kernel // 2, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_chans))
    return layers


class Block(nn.Module):
    """One convolution block (3x3 by default): plain (conv, norm, ReLU) or residual (two convolutions around
    an identity)."""

    def __init__(self, chans: int, residual: bool, batch_norm: bool, kernel: int = 3):
        super().__init__()
        self.residual = residual
        if residual:
            self.body = nn.Sequential(*_conv(chans, chans, batch_norm, kernel), nn.ReLU(inplace=True),
                                      *_conv(chans, chans, batch_norm, kernel))
        else:
            self.body = nn.Sequential(*_conv(chans, chans, batch_norm, kernel), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        """Same shape out as in."""
        if self.residual:
            return F.relu(x + self.body(x))
        return self.body(x)


def _blocks(n: int, chans: int, residual: bool, batch_norm: bool, kernel: int = 3) -> nn.Sequential:
    """``n`` blocks of ``chans`` channels (an identity when n is 0)."""
    return nn.Sequential(*(Block(chans, residual, batch_norm, kernel) for _ in range(n)))


class Down(nn.Module):
    """Halve the resolution and go from ``in_chans`` to ``out_chans`` channels."""

    def __init__(self, in_chans: int, out_chans: int, mode: str, batch_norm: bool):
        super().__init__()
        if mode == "max_pool":
            layers = [nn.MaxPool2d(2), *_conv(in_chans, out_chans, batch_norm, kernel=1)]
        else:
            layers = [nn.Conv2d(in_chans, out_chans, 2, stride=2, bias=not batch_norm)]
            layers += [nn.BatchNorm2d(out_chans)] if batch_norm else []
        self.body = nn.Sequential(*layers, nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class Up(nn.Module):
    """Double the resolution and go from ``in_chans`` to ``out_chans`` channels."""

    def __init__(self, in_chans: int, out_chans: int, mode: str, batch_norm: bool):
        super().__init__()
        self.interpolate = mode == "interpolate"
        if self.interpolate:
            layers = _conv(in_chans, out_chans, batch_norm, kernel=1)
        else:
            layers = [nn.ConvTranspose2d(in_chans, out_chans, 2, stride=2, bias=not batch_norm)]
            layers += [nn.BatchNorm2d(out_chans)] if batch_norm else []
        self.body = nn.Sequential(*layers, nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        if self.interpolate:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.body(x)


class Join(nn.Module):
    """Merge the decoder's up-sampled features with the encoder's skip connection of the same level."""

    def __init__(self, chans: int, mode: str, batch_norm: bool):
        super().__init__()
        self.mode = mode
        if mode == "concat":
            self.body = nn.Sequential(*_conv(2 * chans, chans, batch_norm, kernel=1), nn.ReLU(inplace=True))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        if self.mode == "concat":
            return self.body(torch.cat([x, skip], dim=1))
        if self.mode == "sum":
            return x + skip
        return x


class UResNet(nn.Module):
    """The shared-weight, plane-joined UResNet described in the module docstring."""

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
        self.num_classes, self.in_chans, self.depth, self.connections = num_classes, in_chans, depth, connections
        self.widths = widths = level_widths(filters, growth, depth)
        self.stem = nn.Sequential(*_conv(1, filters, batch_norm, kernel=5), nn.ReLU(inplace=True))
        self.encoders = nn.ModuleList(_blocks(blocks_per_layer, widths[k], residual, batch_norm) for k in range(depth))
        self.downs = nn.ModuleList(Down(widths[k], widths[k + 1], downsampling, batch_norm) for k in range(depth))
        joined = in_chans * widths[depth]
        deepest = deepest_filters or joined
        self.deepest = nn.Sequential(*_conv(joined, deepest, batch_norm, kernel=1), nn.ReLU(inplace=True),
                                     _blocks(blocks_deepest, deepest, residual, batch_norm, deepest_kernel),
                                     *_conv(deepest, joined, batch_norm, kernel=1), nn.ReLU(inplace=True))
        self.ups = nn.ModuleList(Up(widths[k + 1], widths[k], upsampling, batch_norm) for k in range(depth))
        self.joins = nn.ModuleList(Join(widths[k], connections, batch_norm) for k in range(depth))
        self.decoders = nn.ModuleList(_blocks(blocks_per_layer, widths[k], residual, batch_norm) for k in range(depth))
        self.head = nn.Conv2d(filters, num_classes, 1)

    @property
    def multiple(self) -> int:
        """Image sizes must be multiples of this (2**depth)."""
        return 2 ** self.depth

    def check_image_shape(self, shape: tuple[int, int], what: str = "the input image") -> None:
        """ConfigError when ``shape`` (H, W) cannot be halved ``depth`` times evenly."""
        if any(int(n) % self.multiple for n in shape):
            fits = [max(self.multiple, int(n) // self.multiple * self.multiple) for n in shape]
            raise ConfigError("uresnet.depth", f"{what} is {tuple(int(n) for n in shape)} pixels, which depth "
                              f"{self.depth} cannot halve evenly (both sizes must be multiples of {self.multiple}, "
                              f"e.g. {tuple(fits)}); change data.downsample or data.crop, or lower uresnet.depth")

    def check_state(self, state: dict, source: str = "the checkpoint") -> None:
        """ConfigError when ``state`` is a sparse UResNet's (its weights have the dense net's shapes)."""
        if "sparse_layout" in state:
            raise ConfigError("model.checkpoint", f"{source} holds a sparse network's weights (sparse-uresnet), "
                              "not a dense uresnet's; train with model.name=sparse-uresnet or give a dense checkpoint")

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, P, num_classes, H, W) of the charge (B, P, H, W)."""
        if x.ndim != 4 or x.shape[1] != self.in_chans:
            raise ConfigError("model.in_chans", f"the network takes (batch, {self.in_chans} planes, H, W) images, "
                              f"got shape {tuple(x.shape)}")
        self.check_image_shape(tuple(x.shape[-2:]))
        b, p, h, w = x.shape
        y = self.stem(x.reshape(b * p, 1, h, w))
        skips = []
        for encode, down in zip(self.encoders, self.downs):
            y = encode(y)
            skips.append(y)
            y = down(y)
        _, c, hd, wd = y.shape
        y = self.deepest(y.reshape(b, p * c, hd, wd)).reshape(b * p, c, hd, wd)
        for k in reversed(range(self.depth)):
            y = self.decoders[k](self.joins[k](self.ups[k](y), skips[k]))
        return self.head(y).reshape(b, p, self.num_classes, h, w)


def parameter_count(model: nn.Module) -> int:
    """Trainable and frozen parameters together."""
    return sum(p.numel() for p in model.parameters())


@register_model()
def uresnet(num_classes: int = 3, in_chans: int = 3, weights: str | None = None, **options: Any) -> UResNet:
    """CosmicTagger's UResNet (16 filters growing by 16 per level, 2 residual blocks per layer, 5 blocks of
    256 filters and 5x5 kernels where the planes meet), depth 6 so that 3 x 512 x 320 images fit; ``options``
    are ``UResNet``'s shape arguments, passed through."""
    if weights is not None:
        raise ConfigError("model.weights", "uresnet has no pretrained weights; continue from an argonet "
                          "checkpoint with model.checkpoint")
    model = UResNet(num_classes, in_chans, **options)
    model.load_report = (f"uresnet: {parameter_count(model) / 1e6:.3f} M parameters (depth {model.depth}, widths "
                         f"{model.widths}, {in_chans} planes sharing the encoder/decoder, {num_classes} classes)")
    log.info(model.load_report)
    return model


# the registry checks arguments against the signature: the builder's own, then UResNet's shape arguments
uresnet.__signature__ = inspect.Signature(
    [p for p in inspect.signature(uresnet).parameters.values() if p.kind is not p.VAR_KEYWORD]
    + [p for name, p in inspect.signature(UResNet).parameters.items() if name not in ("num_classes", "in_chans")])
