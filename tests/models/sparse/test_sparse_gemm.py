"""Row-piece GEMMs: every row count is cut into a few fixed shapes, with the same products as one GEMM."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from argonet.models.registry import get_model
from argonet.models.sparse.gemm import PIECE_ROWS, matmul_rows, mm_rows, pieces, tmm_rows


@pytest.mark.parametrize("rows", [0, 1, PIECE_ROWS[-1] - 1, PIECE_ROWS[-1], PIECE_ROWS[1] + 3, 3 * PIECE_ROWS[0] + 7])
def test_pieces_cover_the_rows_once_in_fixed_sizes(rows):
    found = pieces(rows)
    assert [start for start, _ in found] == [sum(n for _, n in found[:i]) for i in range(len(found))]
    assert sum(n for _, n in found) == rows
    assert all(n in PIECE_ROWS for _, n in found[:-1])
    assert not found or found[-1][1] in PIECE_ROWS or found[-1][1] < PIECE_ROWS[-1]


def test_many_row_counts_need_at_most_one_kernel_shape_per_piece_size():
    shapes = {n if n >= PIECE_ROWS[-1] else PIECE_ROWS[-1] for rows in range(1, 200_000, 997) for _, n in pieces(rows)}
    assert shapes <= set(PIECE_ROWS)


@pytest.mark.parametrize("rows", [5, PIECE_ROWS[-1] + 5, PIECE_ROWS[1] + PIECE_ROWS[-1] + 5])
def test_bf16_products_equal_one_gemm_row_by_row(rows):
    gen = torch.Generator().manual_seed(rows)
    a = torch.randn(rows, 24, generator=gen).bfloat16()
    b = torch.randn(24, 16, generator=gen).bfloat16()
    exact = a.double() @ b.double()
    got = mm_rows(a, b)
    assert got.dtype == torch.bfloat16 and got.shape == (rows, 16)
    torch.testing.assert_close(got.double(), exact, rtol=1e-2, atol=1e-2)
    out = torch.empty(rows, 16, dtype=torch.bfloat16)
    assert mm_rows(a, b, out=out) is out and torch.equal(out, got)
    grad = torch.randn(rows, 16, generator=gen).bfloat16()
    summed = tmm_rows(a, grad)
    assert summed.dtype == torch.float32
    exact_sum = a.double().t() @ grad.double()          # each piece's sum is rounded to bf16 once
    torch.testing.assert_close(summed.double(), exact_sum, rtol=1e-2, atol=1e-2 * float(exact_sum.abs().max()))


def test_float64_runs_as_one_gemm_unchanged():
    a, b, g = torch.randn(1000, 8, dtype=torch.float64), torch.randn(8, 4, dtype=torch.float64), torch.randn(1000, 4)
    assert torch.equal(mm_rows(a, b), a @ b)
    assert torch.equal(tmm_rows(a, g.double()), a.t() @ g.double())
    assert torch.equal(matmul_rows(a, b), a @ b)


def test_matmul_rows_gradients_equal_autograd_matmul():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(PIECE_ROWS[-1] + 37, 8, generator=gen).bfloat16().requires_grad_()
    b = torch.randn(8, 6, generator=gen).bfloat16().requires_grad_()
    grad = torch.randn(a.shape[0], 6, generator=gen).bfloat16()
    matmul_rows(a, b).backward(grad)
    a_ref, b_ref = a.detach().double().requires_grad_(), b.detach().double().requires_grad_()
    (a_ref @ b_ref).backward(grad.double())
    torch.testing.assert_close(a.grad.double(), a_ref.grad, rtol=1e-2, atol=2e-2)
    torch.testing.assert_close(b.grad.double(), b_ref.grad, rtol=1e-2, atol=0.5)
    assert a.grad.dtype == b.grad.dtype == torch.bfloat16


class _GemmShapes(TorchDispatchMode):
    """Records (M, K, N) of every 16-bit GEMM the dispatcher runs."""

    def __init__(self):
        super().__init__()
        self.shapes: list[tuple[int, int, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket in (torch.ops.aten.mm, torch.ops.aten.addmm):
            a, b = args[-2], args[-1]
            if a.dtype == torch.bfloat16:
                self.shapes.append((a.shape[0], a.shape[1], b.shape[1]))
        return func(*args, **(kwargs or {}))


def test_bf16_training_step_of_the_sparse_uresnet_runs_every_gemm_at_a_piece_size(tracks):
    """Row counts change with every batch; oneDNN would build (and keep) a kernel for each one."""
    model = get_model("sparse-uresnet", num_classes=3, in_chans=2, depth=3, filters=4, blocks_per_layer=1,
                      blocks_deepest=1, deepest_filters=8).train()
    mask = tracks(2, (150, 220), seed=5, tracks=12)
    coords = torch.cat([torch.zeros(int(mask.sum()), 1, dtype=torch.long), mask.nonzero()], dim=1)
    assert len(coords) > PIECE_ROWS[-1]                 # the finest level holds more rows than the smallest piece
    recorder = _GemmShapes()
    with recorder, torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(coords, torch.rand(len(coords), 1), (150, 220), 1)
        logits.float().square().mean().backward()
    assert recorder.shapes, "no bf16 GEMM ran"
    odd = [s for s in recorder.shapes if s[0] not in PIECE_ROWS and s[1] not in PIECE_ROWS]
    assert not odd, f"GEMMs at row counts other than {PIECE_ROWS}: {odd[:5]}"
