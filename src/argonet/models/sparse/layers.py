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

Convolutions gather the input rows of a rulebook's pairs, multiply them by each offset's weight
matrix and scatter-add the products (``index_select`` → GEMM → ``index_add_``); backward does
the same in reverse; in 16-bit dtypes (``GATHER_ALL_DTYPES``) a submanifold convolution instead
gathers every site's k x k neighbour rows (zero rows for inactive ones) into one matrix for one
GEMM (built ``GATHER_BYTES`` at a time), and its backward is the same with the kernel flipped.
Where a grid is mostly active (``DENSE_OCCUPANCY``, the coarse levels of a noisy readout) a
submanifold convolution instead runs as a dense oneDNN convolution on the
zero-filled grid read at the active sites, which is the same function. Under CPU or CUDA autocast the GEMMs (and
their gathers) run in the autocast dtype, e.g. bf16 on CPUs with AMX; results return in that dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from argonet.models.sparse.gemm import PIECE_ROWS, matmul_rows, mm_rows, tmm_rows
from argonet.models.sparse.grid import Grid, Rulebook
from argonet.models.sparse.rebuild import note_norm_output, relu_noted_


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


#: submanifold convolutions at grids with at least this fraction of active pixels run as dense convolutions
#: (oneDNN) read at the active sites: equal results, and faster where most neighbours are active
DENSE_OCCUPANCY = 0.5
#: compute dtypes in which a submanifold convolution gathers all k * k neighbour rows (zeros for inactive
#: ones) into one GEMM: faster with bf16 AMX GEMMs; in fp32 the rulebook's active pairs only are faster
GATHER_ALL_DTYPES = (torch.bfloat16, torch.float16)
#: bytes of the gathered neighbour matrix built at once (in pieces of sites): the whole matrix would take
#: 16-20 MB per convolution at full resolution, and pieces of one size are reused by the allocator
#: instead of growing the heap
GATHER_BYTES = 4 << 20


class _RulebookConv(torch.autograd.Function):
    """Convolution over a rulebook: ``out[o] = x[o] @ W[centre] + sum over pairs (i → o, offset k) of
    x[i] @ W[k]``: one gather of the pairs' input rows, one GEMM per offset, one ``index_add_`` scatter.
    Backward gathers again (nothing of size pairs x channels is kept) and scatters the input gradient."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, book: Rulebook, centre: int, n_out: int,
                dtype: torch.dtype) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):
            xc, wc = x.to(dtype), weight.to(dtype)
            out = mm_rows(xc, wc[centre]) if centre >= 0 else xc.new_zeros((n_out, wc.shape[2]))
            gathered = xc.index_select(0, book.inputs)
            products = gathered.new_empty((len(book.inputs), wc.shape[2]))
            start = 0
            for k, n in enumerate(book.counts):
                if n:
                    mm_rows(gathered[start:start + n], wc[k], out=products[start:start + n])
                start += n
            out.index_add_(0, book.outputs, products)
        ctx.save_for_backward(xc, wc)
        ctx.book, ctx.centre, ctx.x_dtype, ctx.w_dtype = book, centre, x.dtype, weight.dtype
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        xc, wc = ctx.saved_tensors
        book, centre = ctx.book, ctx.centre
        grad_x = grad_w = None
        with torch.autocast(xc.device.type, enabled=False):
            grad = grad.to(wc.dtype).contiguous()
            picked = grad.index_select(0, book.outputs)
            if ctx.needs_input_grad[1]:
                grad_w = torch.zeros_like(wc)
                gathered = xc.index_select(0, book.inputs)
                start = 0
                for k, n in enumerate(book.counts):
                    if n:
                        grad_w[k] = tmm_rows(gathered[start:start + n], picked[start:start + n])
                    start += n
                if centre >= 0:
                    grad_w[centre] = tmm_rows(xc, grad)
                grad_w = grad_w.to(ctx.w_dtype)
            if ctx.needs_input_grad[0]:
                wide = torch.float32 if xc.dtype in (torch.bfloat16, torch.float16) else xc.dtype
                grad_x = (mm_rows(grad, wc[centre].t()).to(wide) if centre >= 0
                          else xc.new_zeros(xc.shape, dtype=wide))
                rows = picked.new_empty((len(book.inputs), xc.shape[1]))
                start = 0
                for k, n in enumerate(book.counts):
                    if n:
                        mm_rows(picked[start:start + n], wc[k].t(), out=rows[start:start + n])
                    start += n
                grad_x.index_add_(0, book.inputs, rows.to(wide))
                grad_x = grad_x.to(ctx.x_dtype)
        return grad_x, grad_w, None, None, None, None


def _padded(x: Tensor, dtype: torch.dtype) -> Tensor:
    """``x`` (N, C) in ``dtype`` with a zero row N appended (one copy, which is also the cast)."""
    out = x.new_empty((x.shape[0] + 1, x.shape[1]), dtype=dtype)
    out[:-1].copy_(x)
    out[-1].zero_()
    return out


def _im2col(padded: Tensor, table: Tensor) -> Tensor:
    """(N, K * C) rows of ``padded`` (M + 1, C) under each of the K columns of ``table`` (N, K), whose
    entries M point at the zero row."""
    return padded.index_select(0, table.reshape(-1)).view(table.shape[0], -1)


def _chunk_rows(table: Tensor, padded: Tensor) -> int:
    """Sites per piece of the gathered neighbour matrix (``GATHER_BYTES``), a multiple of a GEMM piece size
    (``PIECE_ROWS``) where one fits, so that every full piece is whole GEMMs of a cached shape."""
    rows = max(1, GATHER_BYTES // (table.shape[1] * padded.shape[1] * padded.element_size()))
    size = next((size for size in PIECE_ROWS if size <= rows), 1)
    return rows // size * size


def _gathered_mm(padded: Tensor, table: Tensor, weight: Tensor) -> Tensor:
    """(N, Cout) = ``_im2col(padded, table) @ weight``, gathered ``GATHER_BYTES`` at a time."""
    step = _chunk_rows(table, padded)
    if step >= table.shape[0]:
        return mm_rows(_im2col(padded, table), weight)
    out = padded.new_empty((table.shape[0], weight.shape[1]))
    for start in range(0, table.shape[0], step):
        mm_rows(_im2col(padded, table[start:start + step]), weight, out=out[start:start + step])
    return out


def _gathered_tmm(padded: Tensor, table: Tensor, rows: Tensor) -> Tensor:
    """(K * Cin, Cout) = ``_im2col(padded, table).t() @ rows``, gathered ``GATHER_BYTES`` at a time and
    summed in float32 (16-bit dtypes, as ``tmm_rows`` returns them) or the rows' own dtype."""
    step = _chunk_rows(table, padded)
    if step >= table.shape[0]:
        return tmm_rows(_im2col(padded, table), rows)
    out = None
    for start in range(0, table.shape[0], step):
        part = tmm_rows(_im2col(padded, table[start:start + step]), rows[start:start + step])
        out = part if out is None else out.add_(part)
    return out


class _SubmConv(torch.autograd.Function):
    """Same-size convolution over a neighbour table (N, K): one gather of every site's K neighbour rows (a
    zero row for inactive ones) into an (N, K * Cin) matrix and one GEMM with the stacked weights; backward
    is the same with the kernel flipped (a submanifold neighbourhood is symmetric), so nothing is scattered."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, table: Tensor, dtype: torch.dtype) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):
            xp, wc = _padded(x, dtype), weight.to(dtype)
            out = _gathered_mm(xp, table, wc.reshape(-1, wc.shape[2]))
        # keep x itself where it is already in the compute dtype (it is usually a ReLU's saved output):
        # the padded copy is rebuilt in backward rather than held from forward to backward
        ctx.save_for_backward(x if x.dtype == dtype else xp[:-1], wc)
        ctx.table, ctx.x_dtype, ctx.w_dtype = table, x.dtype, weight.dtype
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        xs, wc = ctx.saved_tensors
        grad_x = grad_w = None
        with torch.autocast(xs.device.type, enabled=False):
            gp = _padded(grad, wc.dtype)
            if ctx.needs_input_grad[1]:
                xp = _padded(xs, wc.dtype)
                grad_w = _gathered_tmm(xp, ctx.table, gp[:-1]).view(wc.shape).to(ctx.w_dtype)
                del xp
            if ctx.needs_input_grad[0]:
                flipped = wc.flip(0).transpose(1, 2).reshape(-1, wc.shape[1])
                grad_x = _gathered_mm(gp, ctx.table, flipped).to(ctx.x_dtype)
        return grad_x, grad_w, None, None


def subm_conv(x: Tensor, weight: Tensor, table: Tensor) -> Tensor:
    """(N, Cout) rows of a same-size convolution of ``x`` (N, Cin) with ``weight`` (K, Cin, Cout) over the
    neighbour ``table`` (N, K) of ``Grid.neighbours``."""
    return _SubmConv.apply(x, weight, table, _compute_dtype(x))


def rulebook_conv(x: Tensor, weight: Tensor, book: Rulebook, n_out: int, centre: int = -1) -> Tensor:
    """(n_out, Cout) rows of a convolution of ``x`` (N, Cin) with ``weight`` (K, Cin, Cout) over ``book``;
    offset ``centre`` (if >= 0) maps every row onto itself (n_out = N) and is not in the book."""
    return _RulebookConv.apply(x, weight, book, centre, n_out, _compute_dtype(x))


def to_dense(x: SparseTensor) -> Tensor:
    """(n_images, C, H, W) channels-last array of the features, zeros at inactive pixels."""
    grid, c = x.grid, x.features.shape[1]
    (h, w), n = grid.shape, grid.n_images
    dense = x.features.new_zeros((n * h * w, c)).index_put((grid.dense_index(),), x.features)
    return dense.view(n, h, w, c).permute(0, 3, 1, 2)


def from_dense(dense: Tensor, grid: Grid) -> Tensor:
    """(N, C) rows of an (n_images, C, H, W) array at the active sites of ``grid``."""
    c = dense.shape[1]
    return dense.permute(0, 2, 3, 1).reshape(-1, c).index_select(0, grid.dense_index())


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
        """(k * k, Cin, Cout): one matrix per kernel offset, offsets row-major."""
        return self.weight.permute(2, 3, 1, 0).reshape(-1, self.in_chans, self.out_chans)

    def _bias(self, out: Tensor) -> Tensor:
        return out if self.bias is None else out + self.bias.to(out.dtype)

    def extra_repr(self) -> str:
        return f"{self.in_chans}, {self.out_chans}, kernel={self.kernel}, bias={self.bias is not None}"


class SubmConv2d(_Conv):
    """Submanifold k x k convolution (``conv2d(padding=k // 2)`` read at the active sites)."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        dtype = _compute_dtype(x.features)
        if self.kernel == 1:
            return x.replace(self._bias(matmul_rows(x.features.to(dtype), self.matrix()[0].to(dtype))))
        if x.grid.occupancy() >= DENSE_OCCUPANCY:
            dense = to_dense(x.replace(x.features.to(dtype)))
            out = F.conv2d(dense, self.weight.to(dtype), None, padding=self.kernel // 2)
            return x.replace(self._bias(from_dense(out, x.grid)))
        if dtype in GATHER_ALL_DTYPES:
            out = subm_conv(x.features, self.matrix(), x.grid.neighbours(self.kernel))
        else:
            out = rulebook_conv(x.features, self.matrix(), x.grid.rulebook(self.kernel), len(x.grid),
                                centre=self.kernel * self.kernel // 2)
        return x.replace(self._bias(out))

    def joined(self, *parts: SparseTensor) -> SparseTensor:
        """This 1 x 1 convolution of the channel concatenation of ``parts`` (same sites) without building
        it: one GEMM per part into one sum, so backward keeps the parts (already held) and no joined copy."""
        if self.kernel != 1 or sum(p.features.shape[1] for p in parts) != self.in_chans:
            raise ValueError(f"joined takes a 1 x 1 convolution of {self.in_chans} channels in all, got "
                             f"kernel {self.kernel} and {[p.features.shape[1] for p in parts]}")
        dtype, matrix, start, out = _compute_dtype(parts[0].features), self.matrix()[0], 0, None
        for part in parts:
            rows, weight = part.features.to(dtype), matrix[start:start + part.features.shape[1]].to(dtype)
            out = matmul_rows(rows, weight) if out is None else out.add_(matmul_rows(rows, weight))
            start += part.features.shape[1]
        return parts[0].replace(self._bias(out))


class DownConv2d(_Conv):
    """2 x 2 convolution with stride 2 onto the coarser grid."""

    def __init__(self, in_chans: int, out_chans: int, bias: bool):
        super().__init__(in_chans, out_chans, 2, bias)

    def forward(self, x: SparseTensor) -> SparseTensor:
        coarse = x.grid.coarser()
        out = rulebook_conv(x.features, self.matrix(), x.grid.down_rulebook(), len(coarse))
        return SparseTensor(self._bias(out), coarse)


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
        matrix = self.weight.permute(2, 3, 0, 1).reshape(4, self.in_chans, self.out_chans)
        out = rulebook_conv(x.features, matrix, fine.up_rulebook(), len(fine))
        return SparseTensor(out if self.bias is None else out + self.bias.to(out.dtype), fine)


class SparseMaxPool2d(nn.Module):
    """2 x 2 max pooling onto the coarser grid; inactive pixels count as 0 (exact for features >= 0)."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        coarse, f = x.grid.coarser(), x.features
        index = x.grid.parent[:, None].expand(-1, f.shape[1])
        out = f.new_zeros((len(coarse), f.shape[1])).scatter_reduce(0, index, f, "amax", include_self=True)
        return SparseTensor(out, coarse)


class NearestUp(nn.Module):
    """Nearest up-sampling back onto the finer grid ``fine``: each fine site takes its cell's features."""

    def forward(self, x: SparseTensor, fine: Grid) -> SparseTensor:
        return SparseTensor(x.features.index_select(0, fine.parent), fine)


class SparseBatchNorm(nn.BatchNorm1d):
    """Batch norm over the active sites' feature rows (state dict as nn.BatchNorm2d's)."""

    def forward(self, x: SparseTensor) -> SparseTensor:      # type: ignore[override]
        out = super().forward(x.features)
        note_norm_output(out, x.features, self)
        return x.replace(out)


class SparseReLU(nn.Module):
    """ReLU of the feature rows, in place (every layer before one keeps its input, not its output, for backward;
    after a batch norm the output kept is rebuilt in backward where ``rebuilt_norm_outputs`` is on)."""

    def forward(self, x: SparseTensor) -> SparseTensor:
        return x.replace(relu_noted_(x.features))
