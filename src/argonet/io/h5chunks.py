"""Rows of deflate-compressed 1-D HDF5 tables read chunk by chunk and inflated with ISA-L.

larcv3 stores every table gzip-compressed (HDF5's deflate filter, level 1), and inflating is most
of what reading a batch costs. HDF5 inflates with zlib; ISA-L (the ``isal`` package) inflates the
same streams about 1.4x faster. ``ChunkReader`` reads the stored chunks of a table whose filter
pipeline is exactly deflate, inflates them itself and copies the wanted rows; for any other table
(shuffle, checksums, other filters, no compression), a chunk stored unfiltered or not stored at
all, or a chunk that does not inflate to its full size, it answers False and the caller takes
h5py's ordinary read, which gives the same rows or the library's own error.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from types import ModuleType
import zlib

import h5py
from h5py import h5d, h5t, h5z
import numpy as np


def inflate_module(use_isal: bool = True) -> ModuleType:
    """``isal.isal_zlib`` (ISA-L) when asked for and importable, else ``zlib``: same API, same results."""
    if use_isal:
        try:
            from isal import isal_zlib
        except ImportError:
            return zlib
        return isal_zlib
    return zlib


@dataclass(frozen=True)
class _Plan:
    """How to read one deflate-only table: rows per chunk and the row dtype (the file's layout)."""

    chunk_rows: int
    dtype: np.dtype


def deflate_only(dataset: h5py.Dataset) -> bool:
    """Whether a dataset is chunked 1-D with deflate as its only filter and a plain (byte-copyable) row type."""
    if dataset.ndim != 1 or dataset.chunks is None or dataset.dtype.hasobject:
        return False
    if dataset.compression != "gzip" or dataset.shuffle or dataset.fletcher32 or dataset.scaleoffset is not None:
        return False
    dcpl = dataset.id.get_create_plist()
    if dcpl.get_layout() != h5d.CHUNKED or dcpl.get_nfilters() != 1 or dcpl.get_filter(0)[0] != h5z.FILTER_DEFLATE:
        return False
    try:
        return bool(dataset.id.get_type() == h5t.py_create(dataset.dtype))    # rows are stored as numpy lays them out
    except (TypeError, ValueError):
        return False


class ChunkReader:
    """Reads rows of deflate-only 1-D tables by inflating their chunks, keeping the last few per table.

    Consecutive batches share the chunk at their boundary, so the ``keep_chunks`` most recently
    used chunks of each table stay inflated (``keep_chunks`` x the chunk size per table, e.g.
    2 x 256 kB for argonet's voxel tables). One reader belongs to one open file handle; ``clear``
    it when the handle is reopened.
    """

    def __init__(self, keep_chunks: int = 2, use_isal: bool = True):
        self.keep_chunks, self.use_isal = keep_chunks, use_isal
        self.inflate = inflate_module(use_isal)
        self._plans: dict[h5py.h5d.DatasetID, _Plan | None] = {}
        self._chunks: dict[h5py.h5d.DatasetID, OrderedDict[int, np.ndarray]] = {}

    def __getstate__(self) -> dict:
        """Only the settings travel (into DataLoader workers): tables and chunks belong to this process's handle."""
        return {"keep_chunks": self.keep_chunks, "use_isal": self.use_isal}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def clear(self) -> None:
        """Forget every table and inflated chunk (the file was reopened or closed)."""
        self._plans.clear()
        self._chunks.clear()

    def _plan(self, dataset: h5py.Dataset) -> _Plan | None:
        """The cached read plan of a table, None when it must take h5py's read."""
        key = dataset.id
        if key not in self._plans:
            self._plans[key] = _Plan(int(dataset.chunks[0]), dataset.dtype) if deflate_only(dataset) else None
        return self._plans[key]

    def _chunk(self, dataset: h5py.Dataset, plan: _Plan, number: int) -> np.ndarray | None:
        """The bytes of chunk ``number`` (read-only uint8), None when it is not stored deflated and whole."""
        recent = self._chunks.setdefault(dataset.id, OrderedDict())
        rows = recent.get(number)
        if rows is not None:
            recent.move_to_end(number)
            return rows
        n_bytes = plan.chunk_rows * plan.dtype.itemsize
        try:
            mask, stored = dataset.id.read_direct_chunk((number * plan.chunk_rows,))
        except (RuntimeError, OSError, ValueError):         # not stored (fill value) or unreadable
            return None
        if mask != 0:                                        # stored without deflate
            return None
        try:
            raw = self.inflate.decompress(stored, bufsize=n_bytes)
        except (self.inflate.error, MemoryError, ValueError):   # damaged: h5py's read reports it
            return None
        if len(raw) != n_bytes:
            return None
        rows = np.frombuffer(raw, np.uint8)
        recent[number] = rows
        while len(recent) > self.keep_chunks:
            recent.popitem(last=False)
        return rows

    def read_into(self, dataset: h5py.Dataset, lo: int, hi: int, out: np.ndarray) -> bool:
        """Rows lo..hi (0 <= lo < hi <= len) into ``out``; False (``out`` undefined) when h5py must read them."""
        plan = self._plan(dataset)
        if plan is None or out.dtype != plan.dtype or out.shape != (hi - lo,) or not out.flags.c_contiguous:
            return False
        target = out.view(np.uint8)          # bytes: numpy copies compound rows field by field, 10x slower
        size, width = plan.chunk_rows, plan.dtype.itemsize
        for number in range(lo // size, (hi - 1) // size + 1):
            rows = self._chunk(dataset, plan, number)
            if rows is None:
                return False
            a, b = max(lo, number * size), min(hi, (number + 1) * size)
            target[(a - lo) * width:(b - lo) * width] = rows[(a - number * size) * width:(b - number * size) * width]
        return True
