"""Rows that training would keep for backward, rebuilt there instead: the outputs of a batch norm
followed by an in-place ReLU.

In every (convolution, batch norm, ReLU) of the sparse UResNet the ReLU keeps its output for
backward and so does the layer after it (the next convolution, its input), while the batch norm
keeps its own input, the convolution output ``c``. The ReLU's output is ``relu(norm(c))``, so
within ``rebuilt_norm_outputs()`` each such output is kept as a note (``c`` and the norm) and
rebuilt in backward: the same values bit for bit (the batch statistics are recomputed from the
same rows by the same kernel; eval-mode norms use their running statistics, which do not change
before backward), about a third less activation memory for one elementwise pass per use.

The residual blocks' outputs ``relu(x + norm(c))`` are rebuilt the same way, from ``c`` and the
block input ``x`` (kept, or itself rebuilt).

A note is taken only for the exact tensor a ``SparseBatchNorm`` returned (or a residual sum of one),
after exactly one in-place ReLU (identity and version counter checked); anything else is kept as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
import weakref

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class _Rebuild:
    """``relu(norm(rows))``, or ``relu(skip + norm(rows))`` (``skip`` kept or itself rebuilt), as forward
    computed it."""

    def __init__(self, rows: Tensor, norm: nn.modules.batchnorm._BatchNorm, training: bool,
                 skip: Tensor | _Rebuild | None = None):
        self.rows, self.norm, self.training, self.skip = rows, norm, training, skip

    def __call__(self) -> Tensor:
        n = self.norm
        with torch.no_grad(), torch.autocast(self.rows.device.type, enabled=False):
            stats = (None, None) if self.training else (n.running_mean, n.running_var)
            out = F.batch_norm(self.rows, *stats, n.weight, n.bias, self.training, 0.0, n.eps)
            if self.skip is not None:
                out = _Notes.unpack(self.skip) + out
            return torch.relu_(out)


class _Notes:
    """Batch-norm outputs of this forward (by id) and how to rebuild them; the saved-tensor hooks."""

    def __init__(self) -> None:
        self.outputs: dict[int, tuple[weakref.ref, _Rebuild, list[int]]] = {}

    def pack(self, t: Tensor) -> Tensor | _Rebuild:
        entry = self.outputs.get(id(t))
        if entry is not None and entry[0]() is t and entry[2] and t._version == entry[2][0]:
            return entry[1]
        return t

    @staticmethod
    def unpack(packed: Tensor | _Rebuild) -> Tensor:
        return packed() if isinstance(packed, _Rebuild) else packed


_NOTES: ContextVar[_Notes | None] = ContextVar("sparse_norm_notes", default=None)


@contextmanager
def rebuilt_norm_outputs() -> Iterator[None]:
    """Within: (residual) batch-norm + ReLU outputs saved for backward are rebuilt there (module docstring)."""
    notes = _Notes()
    token = _NOTES.set(notes)
    try:
        with torch.autograd.graph.saved_tensors_hooks(notes.pack, notes.unpack):
            yield
    finally:
        _NOTES.reset(token)
        notes.outputs.clear()


def note_norm_output(out: Tensor, rows: Tensor, norm: nn.modules.batchnorm._BatchNorm) -> None:
    """Record that ``out`` is ``norm(rows)`` (within ``rebuilt_norm_outputs``; else nothing)."""
    notes = _NOTES.get()
    if notes is not None and out.requires_grad:
        training = norm.training or norm.running_mean is None
        notes.outputs[id(out)] = (weakref.ref(out), _Rebuild(rows, norm, training), [])


def note_residual_output(out: Tensor, skip: Tensor, norm_out: Tensor) -> None:
    """Record that ``out`` is ``skip + norm_out`` where ``norm_out`` is a noted batch-norm output (within
    ``rebuilt_norm_outputs``; else nothing): the residual sum before its in-place ReLU."""
    notes = _NOTES.get()
    entry = None if notes is None else notes.outputs.get(id(norm_out))
    if entry is not None and out.requires_grad and entry[0]() is norm_out and norm_out._version == 0:
        how = entry[1]
        notes.outputs[id(out)] = (weakref.ref(out), _Rebuild(how.rows, how.norm, how.training, notes.pack(skip)), [])


def relu_noted_(features: Tensor) -> Tensor:
    """``relu_(features)``; a noted batch-norm output becomes rebuildable once, right after this ReLU."""
    notes = _NOTES.get()
    entry = None if notes is None else notes.outputs.get(id(features))
    if entry is not None and entry[0]() is features and not entry[2] and features._version == 0:
        entry[2].append(features._version + 1)
    return torch.relu_(features)
