"""Batches: dense stacking, sparse concatenation with a batch column, and the fast dense path.

The fast path never densifies an event on its own: it reads a block of entries with one range
read per run of consecutive entries (``sparse2d_range``), maps every voxel to its flat position
in one preallocated (B, C, H, W) array (down-sampling on the ids first) and writes all of them
in a single pass. Dense batches come from a pool of recycled buffers (fresh memory is expensive
to fault in) or, in a DataLoader worker, from shared memory so that handing the batch to the
main process copies nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import sys

import numpy as np
import torch
from torch.utils.data import get_worker_info

from argonet.data.transforms import Factors, scatter_rows
from argonet.errors import DataError
from argonet.io import SparseBatch


def collate_dense(batch: Sequence[Mapping] | Mapping) -> dict:
    """Stack per-event dicts of tensors/numbers into batch tensors; an already batched dict passes through."""
    if isinstance(batch, Mapping):
        return dict(batch)
    out = {}
    for key in batch[0]:
        items = [item[key] for item in batch]
        out[key] = torch.stack(items) if isinstance(items[0], torch.Tensor) else torch.as_tensor(items)
    return out


def collate_sparse(batch: Sequence[Mapping]) -> dict:
    """Concatenate sparse events, MinkowskiEngine style: ``coords`` (N, 4) = (batch, plane, wire, tick).

    ``features`` (N, F) and per-voxel ``label`` (N,) are concatenated in the same order; per-event
    scalars (``entry``, a class ``label`` of shape ()) are stacked.
    """
    coords = [item["coords"] for item in batch]
    index = torch.cat([torch.full((len(c), 1), b, dtype=c.dtype) for b, c in enumerate(coords)])
    out = {"coords": torch.cat([index, torch.cat(coords)], dim=1)}
    for key in batch[0]:
        if key == "coords":
            continue
        items = [item[key] for item in batch]
        if isinstance(items[0], torch.Tensor) and items[0].dim() > 0:
            out[key] = torch.cat(items)
        else:
            out[key] = torch.as_tensor([int(i) if isinstance(i, torch.Tensor) else i for i in items])
    return out


class BufferPool:
    """Batch arrays recycled once every reference the consumer held is gone (main process only).

    Touching fresh memory costs page faults (measured 0.6-1 s for one 500 MB full-resolution
    batch on a virtual machine), while re-zeroing a recycled buffer runs at memory bandwidth. A
    buffer is reused only when nothing outside the pool refers to it (no tensor, view or numpy
    array made from it is alive), and it is always zeroed in full, so a consumer that modified
    its batch in place cannot leak values into the next one.
    """

    def __init__(self, per_shape: int = 2):
        self.per_shape = per_shape
        self._arrays: dict[tuple, list[np.ndarray]] = {}

    def zeros(self, shape: Sequence[int], dtype) -> torch.Tensor:
        """A zeroed tensor of ``shape`` and numpy ``dtype``."""
        shape, dtype = tuple(int(n) for n in shape), np.dtype(dtype)
        if get_worker_info() is not None:
            return _shared_zeros(shape, dtype)
        arrays = self._arrays.setdefault((shape, dtype.str), [])
        for array in arrays:
            if sys.getrefcount(array) <= 3:        # the list, this loop variable, the call's argument
                array.fill(0)
                return torch.from_numpy(array)
        array = np.zeros(shape, dtype)
        if len(arrays) < self.per_shape:
            arrays.append(array)
        return torch.from_numpy(array)


def _shared_zeros(shape: tuple[int, ...], dtype: np.dtype) -> torch.Tensor:
    """A zero tensor in a new shared-memory segment (zero-filled by the kernel), as default_collate
    allocates worker batches: sending it to the main process copies nothing."""
    storage = torch.UntypedStorage._new_shared(int(np.prod(shape)) * dtype.itemsize)
    strides = tuple(int(s) for s in np.cumprod([1, *shape[:0:-1]])[::-1])
    return torch.empty(0, dtype=_TORCH_DTYPES[dtype]).set_(storage, 0, shape, strides)


_TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.int64): torch.int64,
                 np.dtype(np.uint8): torch.uint8, np.dtype(np.float64): torch.float64}

#: The pool batches of this process are drawn from.
BUFFERS = BufferPool()


def alloc_zeros(shape: Sequence[int], dtype) -> torch.Tensor:
    """A zeroed batch tensor from this process's buffer pool (shared memory in DataLoader workers)."""
    return BUFFERS.zeros(shape, dtype)


def read_block(reader, producer: str, entries: Sequence[int]) -> tuple[SparseBatch, np.ndarray]:
    """The sparse images of ``entries``, read with one range read per run of consecutive entries.

    Returns the batch (entries in increasing order) and, for each of its entries, the position
    of that entry in ``entries``.
    """
    entries = np.asarray(entries, dtype=np.int64)
    order = np.argsort(entries, kind="stable")
    ordered = entries[order]
    cuts = np.flatnonzero(np.diff(ordered) != 1) + 1
    runs = np.split(ordered, cuts) if ordered.size else []
    parts = [reader.sparse2d_range(producer, int(run[0]), int(run[-1]) + 1) for run in runs]
    if not parts:
        return reader.sparse2d_range(producer, 0, 0), order
    return SparseBatch.concat(parts), order


def projection_rows(batch: SparseBatch, plane_ids: Sequence[int], where: Callable[[int], str]) -> np.ndarray:
    """(n_entries, C) row of ``batch`` holding each wanted projection; DataError names a missing one."""
    n_entries = len(batch)
    rows = np.full((n_entries, len(plane_ids)), -1, dtype=np.int64)
    entry_of_row = np.repeat(np.arange(n_entries), np.diff(batch.event_offsets))
    for c, plane in enumerate(plane_ids):
        hit = np.flatnonzero(batch.projection_id == plane)
        rows[entry_of_row[hit], c] = hit
        counts = np.bincount(entry_of_row[hit], minlength=n_entries)
        bad = np.flatnonzero(counts != 1)
        if bad.size:
            e = int(bad[0])
            present = batch.projection_id[batch.event_offsets[e]:batch.event_offsets[e + 1]].tolist()
            raise DataError(f"{where(e)}: projection {plane} appears {int(counts[e])} times "
                            f"(projections present: {present})")
    return rows


def scatter_batch(out: np.ndarray, batch: SparseBatch, slots: np.ndarray, rows: np.ndarray, factors: Factors,
                  reduce: str, values: np.ndarray | None = None, flips: np.ndarray | None = None,
                  where: Callable[[int], str] = str) -> None:
    """Write the voxels of ``batch`` into ``out`` (B, C, H, W) in one pass.

    Entry ``e`` of the batch goes to ``out[slots[e]]``; ``rows[e, c]`` is the batch row of channel
    ``c``. Ids are down-sampled (and mirrored where ``flips[slot]`` = (wire, drift) says) on the
    fly; ``reduce`` combines pixels that fall together (``sum`` for charge, ``max`` for labels).
    ``values`` replaces ``batch.value`` (e.g. labels mapped to their canonical numbering).
    """
    n_b, n_c, n_h, n_w = out.shape
    shapes = batch.shape[rows]                                # (E, C, 2)
    small = -(-shapes // np.asarray(factors))                  # ceil: partial blocks are zero-padded
    too_big = (small > np.array([n_h, n_w])).any(axis=-1)
    if too_big.any():
        e, c = (int(i) for i in np.argwhere(too_big)[0])
        raise DataError(f"{where(e)}: plane {batch.projection_id[rows[e, c]]} of shape "
                        f"{tuple(shapes[e, c].tolist())} does not fit the image shape {(n_h, n_w)} of the "
                        f"dataset (down-sampled by {factors})")
    flat_rows = rows.reshape(-1)
    bases = (np.repeat(slots, n_c) * n_c + np.tile(np.arange(n_c), len(slots))) * (n_h * n_w)
    row_flips = np.zeros((len(flat_rows), 2), bool) if flips is None else np.repeat(flips[slots], n_c, axis=0)
    bad = scatter_rows(out, batch.index, batch.value if values is None else values,
                       batch.voxel_offsets[flat_rows], batch.voxel_offsets[flat_rows + 1], bases,
                       shapes.reshape(-1, 2), row_flips, factors, reduce)
    if bad >= 0:
        raise DataError(f"{where(bad // n_c)}: plane {batch.projection_id[flat_rows[bad]]} has pixel ids outside "
                        f"its image of shape {tuple(shapes.reshape(-1, 2)[bad].tolist())}")
