"""GEMMs over feature rows whose count changes with every batch, at a bounded number of shapes.

On a CPU, 16-bit GEMMs run in oneDNN, which builds a kernel for every new shape and keeps up to 1 024 of
them (measured: about 0.6 MB each, so a training process grew by 0.6 GB and more as batches of new sizes
came, and spent the time of building each kernel). Sparse layers multiply a different number of rows in
every batch, so here those rows are cut into pieces of three sizes (``PIECE_ROWS``; the last piece
zero-padded): at most three kernels per pair of channel counts, found in the cache from the second batch on,
and each output row still the product of its own input row. Other dtypes and devices run as one GEMM.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: dtypes whose CPU GEMMs are built per shape by oneDNN
PIECEWISE_DTYPES = (torch.bfloat16, torch.float16)
#: row counts of the pieces, largest first; the last piece (fewer rows than the smallest size) is zero-padded
#: to the smallest size, so each pair of channel counts needs at most these three kernels
PIECE_ROWS = (65536, 8192, 1024)


def pieces(rows: int) -> list[tuple[int, int]]:
    """(start, rows) of the pieces of ``rows`` rows: as many of each ``PIECE_ROWS`` size as fit, largest first,
    then the rest (fewer than the smallest size, computed zero-padded to it)."""
    out, start = [], 0
    for size in PIECE_ROWS:
        while rows - start >= size:
            out.append((start, size))
            start += size
    if start < rows:
        out.append((start, rows - start))
    return out


def _piecewise(x: Tensor) -> bool:
    """Whether GEMMs on ``x`` are cut into row pieces of ``PIECE_ROWS``."""
    return x.device.type == "cpu" and x.dtype in PIECEWISE_DTYPES


def _rows(x: Tensor, start: int, n: int) -> Tensor:
    """Rows start..start + n of ``x``, zero-padded to the smallest piece size when n is smaller."""
    if n >= PIECE_ROWS[-1]:
        return x[start:start + n]
    padded = x.new_zeros((PIECE_ROWS[-1], x.shape[1]))
    padded[:n] = x[start:start + n]
    return padded


def mm_rows(a: Tensor, b: Tensor, out: Tensor | None = None) -> Tensor:
    """``a @ b`` (into ``out`` if given) for ``a`` (M, K) whose row count M varies from batch to batch."""
    if not _piecewise(a):
        return torch.mm(a, b) if out is None else torch.mm(a, b, out=out)
    if out is None:
        out = a.new_empty((a.shape[0], b.shape[1]))
    for start, n in pieces(a.shape[0]):
        if n >= PIECE_ROWS[-1]:
            torch.mm(a[start:start + n], b, out=out[start:start + n])
        else:
            out[start:start + n] = (_rows(a, start, n) @ b)[:n]
    return out


def tmm_rows(a: Tensor, b: Tensor) -> Tensor:
    """``a.t() @ b`` (K, C), summed over the varying row count M of ``a`` (M, K) and ``b`` (M, C); the sum of
    16-bit pieces is kept in float32."""
    if not _piecewise(a):
        return a.t() @ b
    out = torch.zeros((a.shape[1], b.shape[1]), dtype=torch.float32, device=a.device)
    for start, n in pieces(a.shape[0]):
        out += _rows(a, start, n).t() @ _rows(b, start, n)
    return out


class _RowsMatmul(torch.autograd.Function):
    """``a @ b`` with both GEMMs of its backward also cut into row pieces."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return mm_rows(a, b)

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, b = ctx.saved_tensors
        grad = grad.to(a.dtype).contiguous()
        grad_a = mm_rows(grad, b.t()) if ctx.needs_input_grad[0] else None
        grad_b = tmm_rows(a, grad).to(b.dtype) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def matmul_rows(a: Tensor, b: Tensor) -> Tensor:
    """Differentiable ``a @ b`` for feature rows ``a`` (M, K) of a varying count M and weights ``b`` (K, C) of
    the same dtype (a 1 x 1 convolution)."""
    return _RowsMatmul.apply(a, b) if _piecewise(a) else a @ b
