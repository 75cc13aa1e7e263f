"""Parsed larcv3 rows: ragged slices read in few HDF5 calls, and the flat batch of sparse images.

The reader hands ``SparseBatch`` to the data pipeline: the voxels of consecutive entries in flat
arrays with offsets, so a dense batch is one fancy-index assignment per batch, not per pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h5py
from h5py import h5s
import numpy as np

from argonet.errors import FormatError
from argonet.event import ImageMeta, SparseImage
from argonet.io.h5chunks import ChunkReader
from argonet.io.larcv3_layout import VoxelMeta, make_meta


def read_into(dataset: h5py.Dataset, lo: int, hi: int, out: np.ndarray, chunks: ChunkReader | None = None) -> None:
    """Rows lo..hi of a 1-D dataset into ``out`` (dtype ``dataset.dtype``), in one HDF5 call.

    With ``chunks``, deflate-only tables are inflated chunk by chunk by ISA-L (see h5chunks);
    otherwise the file's own type is used as the memory type, which spares HDF5's compound
    conversion (5x faster on small reads); types holding references or variable-length data take
    h5py's converting path.
    """
    if chunks is not None and chunks.read_into(dataset, lo, hi, out):
        return
    file_type = dataset.id.get_type()
    if dataset.dtype.hasobject or file_type.get_size() != dataset.dtype.itemsize or not out.flags.c_contiguous:
        dataset.read_direct(out, np.s_[lo:hi], np.s_[0:hi - lo])
        return
    file_space = dataset.id.get_space()
    file_space.select_hyperslab((lo,), (hi - lo,))
    dataset.id.read(h5s.create_simple((hi - lo,)), file_space, out, mtype=file_type)


def read_slice(dataset: h5py.Dataset, lo: int, hi: int, chunks: ChunkReader | None = None) -> np.ndarray:
    """Rows lo..hi (clipped to the table) of a 1-D dataset as a new array."""
    lo, hi = min(lo, dataset.shape[0]), min(hi, dataset.shape[0])
    out = np.empty(max(hi - lo, 0), dataset.dtype)
    if hi > lo:
        read_into(dataset, lo, hi, out, chunks)
    return out


class BlockCache:
    """Recently read blocks of the small index tables (extents, metas, truth).

    An entry needs a few rows of each index table; reading the surrounding block of
    ``block_rows`` rows costs the same HDF5 call (the chunk is decompressed anyway) and serves
    the next entries, so random and sequential access read about one table slice per product.
    Blocks are read through ``chunks`` when given.
    """

    def __init__(self, block_rows: int = 1024, max_blocks: int = 256, chunks: ChunkReader | None = None):
        self.block_rows, self.max_blocks, self.chunks = block_rows, max_blocks, chunks
        self._blocks: dict[tuple[str, int], np.ndarray] = {}

    def clear(self) -> None:
        """Forget every block (the file was reopened or closed)."""
        self._blocks.clear()
        if self.chunks is not None:
            self.chunks.clear()

    def rows(self, dataset: h5py.Dataset, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi of ``dataset``; ranges crossing a block boundary are read directly."""
        block = lo // self.block_rows
        if hi <= lo or (hi - 1) // self.block_rows != block:
            return read_slice(dataset, lo, hi, self.chunks)
        key = (dataset.name, block)
        rows = self._blocks.get(key)
        if rows is None:
            if len(self._blocks) >= self.max_blocks:
                self._blocks.pop(next(iter(self._blocks)))
            rows = self._blocks[key] = read_slice(dataset, block * self.block_rows, (block + 1) * self.block_rows,
                                                  self.chunks)
        start = block * self.block_rows
        return rows[lo - start:hi - start]


def read_rows(dataset: h5py.Dataset, first: np.ndarray, count: np.ndarray, where: dict,
              cache: BlockCache | None = None, chunks: ChunkReader | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``first[k] : first[k] + count[k]`` of a 1-D dataset for every k, concatenated.

    Consecutive ranges are merged, so a file written in order costs one read (served from
    ``cache`` for index tables, else through ``chunks`` when given). Returns the rows and offsets
    (len(count) + 1) of each range in them. ``where`` names file/event/product for the
    FormatError raised when a range falls outside the dataset.
    """
    first = np.asarray(first).astype(np.int64)
    count = np.asarray(count).astype(np.int64)
    offsets = np.zeros(len(count) + 1, np.int64)
    np.cumsum(count, out=offsets[1:])
    used = count > 0
    first, count = first[used], count[used]
    end = first + count
    if len(first) and (first.min() < 0 or end.max() > dataset.shape[0]):
        raise FormatError(f"table {dataset.name!r} has {dataset.shape[0]} rows but the extents point to "
                          f"rows up to {int(end.max())}", **where)
    out = np.empty(int(offsets[-1]), dataset.dtype)
    if not len(first):
        return out, offsets
    breaks = np.flatnonzero(first[1:] != end[:-1]) + 1
    position = 0
    for a, b in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(first)]))):
        lo, hi = int(first[a]), int(end[b - 1])
        if cache is not None:
            out[position:position + hi - lo] = cache.rows(dataset, lo, hi)
        else:
            read_into(dataset, lo, hi, out[position:position + hi - lo], chunks)
        position += hi - lo
    return out, offsets


def meta_columns(rows: np.ndarray, where: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(projection_id, shape, size_cm, origin_cm) arrays from image_meta rows, checked usable."""
    shape = rows["number_of_voxels"].astype(np.int64)
    size_cm, origin_cm = rows["image_sizes"].astype(np.float64), rows["origin"].astype(np.float64)
    if shape.size and (shape.min() <= 0 or not (np.isfinite(size_cm).all() and np.isfinite(origin_cm).all())):
        raise FormatError("image_meta holds a non-positive number_of_voxels or a non-finite size or origin", **where)
    return rows["projection_id"].astype(np.int64), shape, size_cm, origin_cm


def voxel_columns(voxels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(id uint64, value float32) of voxel rows: views into the rows when the file has those dtypes.

    Value tables of another float width are converted explicitly: float16 widens to float32
    exactly; float64 rounds to the nearest float32 (beyond float32's range it becomes infinite,
    which ``refuse_non_finite`` then refuses).
    """
    index, value = voxels["id"], voxels["value"]
    if index.dtype != np.uint64:
        index = index.astype(np.uint64)
    if value.dtype != np.float32:
        value = value.astype(np.float32)
    return index, value


def refuse_non_finite(value: np.ndarray, where: dict, voxel_offsets: np.ndarray, event_offsets: np.ndarray,
                      start: int) -> None:
    """FormatError naming the event and projection of the first NaN or infinite voxel value."""
    if np.isfinite(np.add.reduce(value, dtype=np.float64)):      # float32 sums cannot overflow float64
        return
    bad = int(np.flatnonzero(~np.isfinite(value))[0])
    row = int(np.searchsorted(voxel_offsets, bad, side="right")) - 1
    entry = int(np.searchsorted(event_offsets, row, side="right")) - 1
    raise FormatError(f"non-finite value {float(value[bad])} in projection {row - int(event_offsets[entry])} "
                      f"(voxel {bad - int(voxel_offsets[row])}); charge values must be finite numbers",
                      file=where["file"], product=where["product"], event=start + entry)


@dataclass
class SparseBatch:
    """The sparse images of consecutive entries of one product, in flat arrays.

    Row ``r`` is one projection of one entry; entry ``e`` owns rows
    ``event_offsets[e]:event_offsets[e + 1]`` and row ``r`` owns voxels
    ``voxel_offsets[r]:voxel_offsets[r + 1]`` of ``index`` (flat C-order ids over ``shape[r]``,
    uint64) and ``value`` (float32); both may be strided views into the voxel rows read from
    the file (no copy). Densify a batch with uniform shapes as
    ``dense.reshape(n_rows, -1)[batch.voxel_rows(), batch.index] = batch.value``.
    """

    start: int                  # entry number of the first entry in the file or chain
    projection_id: np.ndarray   # (n_rows,) int64
    shape: np.ndarray           # (n_rows, D) int64: number_of_voxels (wires, ticks) in 2-D
    size_cm: np.ndarray         # (n_rows, D) float64: image_sizes
    origin_cm: np.ndarray       # (n_rows, D) float64
    event_offsets: np.ndarray   # (n_entries + 1,) int64
    voxel_offsets: np.ndarray   # (n_rows + 1,) int64
    index: np.ndarray           # (n_voxels,) uint64
    value: np.ndarray           # (n_voxels,) float32

    def __len__(self) -> int:
        """Number of entries."""
        return len(self.event_offsets) - 1

    @property
    def n_projections(self) -> int | None:
        """Projections per entry when every entry has the same number, else None."""
        counts = np.diff(self.event_offsets)
        return int(counts[0]) if len(counts) and bool(np.all(counts == counts[0])) else None

    def voxel_rows(self) -> np.ndarray:
        """Row number (entry-projection) of every voxel, int64: the first index of a dense batch."""
        return np.repeat(np.arange(len(self.projection_id), dtype=np.int64), np.diff(self.voxel_offsets))

    def metas(self, entry: int) -> list[ImageMeta | VoxelMeta]:
        """The image metas of one entry of the batch (0-based within the batch)."""
        rows = range(self.event_offsets[entry], self.event_offsets[entry + 1])
        return [make_meta(self.projection_id[r], self.shape[r], self.size_cm[r], self.origin_cm[r]) for r in rows]

    def images(self, entry: int) -> list[SparseImage]:
        """The sparse images of one entry of the batch (views into the flat arrays)."""
        first_row = int(self.event_offsets[entry])
        out = []
        for r, meta in enumerate(self.metas(entry), start=first_row):
            lo, hi = self.voxel_offsets[r], self.voxel_offsets[r + 1]
            out.append(SparseImage(meta, self.index[lo:hi], self.value[lo:hi]))
        return out

    @classmethod
    def concat(cls, batches: Sequence["SparseBatch"]) -> "SparseBatch":
        """One batch from consecutive batches (e.g. across the files of a chain)."""
        first = batches[0]
        if len(batches) == 1:
            return first

        def offsets(name: str) -> np.ndarray:
            parts, base = [np.zeros(1, np.int64)], 0
            for b in batches:
                values = getattr(b, name)
                parts.append(values[1:] + base)
                base += int(values[-1])
            return np.concatenate(parts)

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(b, name) for b in batches])

        return cls(first.start, cat("projection_id"), cat("shape"), cat("size_cm"), cat("origin_cm"),
                   offsets("event_offsets"), offsets("voxel_offsets"), cat("index"), cat("value"))
