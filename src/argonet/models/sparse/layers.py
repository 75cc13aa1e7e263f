"""Submanifold sparse layers on feature rows: convolutions as gather → GEMM → scatter over a Grid's rulebooks.

Every layer takes and returns a ``SparseTensor`` (feature rows (N, C) of the sites of a ``Grid``).
Weights have the shapes of the dense ``nn.Conv2d`` / ``nn.ConvTranspose2d`` / ``nn.BatchNorm2d``
they stand for, so a state dict moves between a sparse network and its dense twin; each layer
equals its dense counterpart read at the active sites when inactive pixels hold zeros:

- ``SubmConv2d`` (k x k, same size): outputs only at the input's active sites;
- ``DownConv2d`` (2 x 2, stride 2): outputs at every 2 x 2 cell holding an active site;
- ``UpConv2d`` (transposed 2 x 2, stride 2): outputs at exactly the fine sites of the matching down layer;
- ``SparseMaxPool2d`` (2 x 2) and ``NearestUp`` the parameter-free versions of the last two
  (max over active children, which equals the dense max for features >= 0 such as ReLU outputs);
- ``SparseBatchNorm``, ``SparseReLU``: per feature row.

Gradients of the gathers are ``index_add_`` scatters. Under CPU or CUDA autocast the GEMMs (and
their gathers) run in the autocast dtype, e.g. bf16 on CPUs with AMX; results return in that dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import torch
from torch import Tensor, nn

from argonet.models.sparse.grid import Grid


@dataclass
class SparseTensor:
    """Feature rows (N, C) of the active sites of ``grid``."""

    features: Tensor
    grid: Grid

    def replace(self, features: Tensor) -> "SparseTensor":
        """The same sites with other features."""
        return SparseTensor(features, self.grid)


def _compute_dtype(x: Tensor) -> torch.dtype:
    """The autocast dtype where autocast is on for ``x``'s device, else ``x``'s own."""
    device = x.device.type
    if torch.is_autocast_enabled(device) and x.is_floating_point():
        return torch.get_autocast_dtype(device)
    return x.dtype


def _gather(x: Tensor, table: Tensor) -> Tensor:
    """(M, K * C): the rows of ``x`` (N, C) named by ``table`` (M, K), zeros where the entry is N."""
    padded = torch.cat([x, x.new_zeros((1, x.shape[1]))])
    return padded.index_select(0, table.reshape(-1)).view(table.shape[0], -1)


class _GatherGemm(torch.autograd.Function):
    """``gather(x, table) @ weight``; backward recomputes the gather instead of keeping it."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, table: Tensor, dtype: torch.dtype) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):
            xc, wc = x.to(dtype), weight.to(dtype)
            out = _gather(xc, table) @ wc
        ctx.save_for_backward(xc, wc, table)
        ctx.x_dtype, ctx.w_dtype = x.dtype, weight.dtype
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        xc, wc, table = ctx.saved_tensors
        grad_x = grad_w = None
        with torch.autocast(xc.device.type, enabled=False):
            grad = grad.to(wc.dtype).contiguous()
            if ctx.needs_input_grad[1]:
                grad_w = (_gather(xc, table).t() @ grad).to(ctx.w_dtype)
            if ctx.needs_input_grad[0]:
                rows = (grad @ wc.t()).view(-1, xc.shape[1])
                grad_x = xc.new_zeros((xc.shape[0] + 1, xc.shape[1]), dtype=torch.float32 if
                                      xc.dtype in (torch.bfloat16, torch.float16) else xc.dtype)
                grad_x.index_add_(0, table.reshape(-1), rows.to(grad_x.dtype))
                grad_x = grad_x[:-1].to(ctx.x_dtype)
        return grad_x, grad_w, None, None


def gather_gemm(x: Tensor, weight: Tensor, table: Tensor) -> Tensor:
    """Rows ``gather(x, table) @ weight``: x (N, Cin), weight (K * Cin, Cout), table (M, K) → (M, Cout)."""
    return _GatherGemm.apply(x, weight, table, _compute_dtype(x))


def _init_conv(weight: Tensor, bias: Tensor | None, fan_in: int) -> None:
    """nn.Conv2d's default initialisation."""
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        nn.init.uniform_(bias, -bound, bound)


class _Conv(nn.Module):
    """Weight (Cout, Cin, k, k) as nn.Conv2d's, optional bias."""

    def __init__(self, in_chans: int, out_chans: int, kernel: int, bias: bool):
        super().__init__()
        self.in_chans, self.out_chans, self.kernel = in_chans, out_chans, kernel
        self.weight = nn.Parameter(torch.empty(out_chans, in_chans, kernel, kernel))
        self.bias = nn.Parameter(torch.empty(out_chans)) if bias else None
        _init_conv(self.weight, self.bias, in_chans * kernel * kernel)

    def matrix(self) -> Tensor:
        """(k * k * Cin, Cout) in the gather's (offset, channel) order."""
        return self.weight.permute(2, 3, 1, 0).reshape(-1, self.out_chans)

    def _bias(self, out: Tensor) -> Tensor:
        return out if self.bias is None else out + self.bias.to(out.dtype)

    def extra_repr(self) -> str:
        return f"{self.in_chans}, {self.out_chans}, kernel={self.kernel}, bias={self.bias is not None}"


class SubmConv2d(_Conv):
    """Submanifold k x k convolution (``conv2d(padding=k // 2)`` read at the active sites)."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        if self.kernel == 1:
            out = x.features.to(_compute_dtype(x.features)) @ self.matrix().to(_compute_dtype(x.features))
        else:
            out = gather_gemm(x.features, self.matrix(), x.grid.neighbours(self.kernel))
        return x.replace(self._bias(out))


class DownConv2d(_Conv):
    """2 x 2 convolution with stride 2 onto the coarser grid."""

    def __init__(self, in_chans: int, out_chans: int, bias: bool):
        super().__init__(in_chans, out_chans, 2, bias)

    def forward(self, x: SparseTensor) -> SparseTensor:
        coarse = x.grid.coarser()
        return SparseTensor(self._bias(gather_gemm(x.features, self.matrix(), coarse.children)), coarse)


class UpConv2d(nn.Module):
    """Transposed 2 x 2 convolution with stride 2 from ``x``'s grid back onto the finer grid ``fine``
    (whose ``coarser()`` it is); weight (Cin, Cout, 2, 2) as nn.ConvTranspose2d's."""

    def __init__(self, in_chans: int, out_chans: int, bias: bool):
        super().__init__()
        self.in_chans, self.out_chans = in_chans, out_chans
        self.weight = nn.Parameter(torch.empty(in_chans, out_chans, 2, 2))
        self.bias = nn.Parameter(torch.empty(out_chans)) if bias else None
        _init_conv(self.weight, self.bias, out_chans * 4)

    def forward(self, x: SparseTensor, fine: Grid) -> SparseTensor:
        dtype = _compute_dtype(x.features)
        matrix = self.weight.permute(0, 2, 3, 1).reshape(self.in_chans, 4 * self.out_chans)
        per_slot = (x.features.to(dtype) @ matrix.to(dtype)).view(-1, self.out_chans)
        out = per_slot.index_select(0, (fine.parent * 4 + fine.slot).contiguous())
        return SparseTensor(out if self.bias is None else out + self.bias.to(out.dtype), fine)


class SparseMaxPool2d(nn.Module):
    """2 x 2 max pooling onto the coarser grid; inactive pixels count as 0 (exact for features >= 0)."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        coarse = x.grid.coarser()
        gathered = _gather(x.features, coarse.children).view(len(coarse), 4, -1)
        return SparseTensor(gathered.max(dim=1).values, coarse)


class NearestUp(nn.Module):
    """Nearest up-sampling back onto the finer grid ``fine``: each fine site takes its cell's features."""

    def forward(self, x: SparseTensor, fine: Grid) -> SparseTensor:
        return SparseTensor(x.features.index_select(0, fine.parent), fine)


class SparseBatchNorm(nn.BatchNorm1d):
    """Batch norm over the active sites' feature rows (state dict as nn.BatchNorm2d's)."""

    def forward(self, x: SparseTensor) -> SparseTensor:      # type: ignore[override]
        return x.replace(super().forward(x.features))


class SparseReLU(nn.Module):
    """ReLU of the feature rows."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        return x.replace(torch.relu(x.features))
