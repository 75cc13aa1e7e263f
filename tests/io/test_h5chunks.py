"""Inflating deflate-only tables chunk by chunk gives exactly h5py's rows; any other table takes h5py's read."""

from __future__ import annotations

import sys
import zlib

import h5py
import numpy as np
import pytest

from argonet.io import Larcv3File, Larcv3Writer
from argonet.io.h5chunks import ChunkReader, deflate_only, inflate_module
from argonet.io.larcv3_batch import read_into

VOXELS = "Data/sparse2d_sbndwire_group/voxels"


def random_ranges(rng: np.random.Generator, n_rows: int, count: int = 40) -> list[tuple[int, int]]:
    """Row ranges: random ones, single rows, whole chunks' worth and the full table."""
    ranges = [(0, n_rows), (n_rows - 1, n_rows), (0, 1)]
    for _ in range(count):
        lo = int(rng.integers(0, n_rows))
        ranges.append((lo, int(rng.integers(lo + 1, min(n_rows, lo + 40_000) + 1))))
    return ranges


def same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    """Bitwise-equal fields (padding between compound fields is not data)."""
    if a.dtype.names is None:
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return all(same_rows(np.ascontiguousarray(a[n]), np.ascontiguousarray(b[n])) for n in a.dtype.names)


def assert_reads_like_h5py(dataset: h5py.Dataset, reader: ChunkReader, fast: bool, seed: int = 0) -> None:
    """Every range read through ``reader`` equals h5py's slice; ``fast`` says whether the chunk path must serve it."""
    for lo, hi in random_ranges(np.random.default_rng(seed), dataset.shape[0]):
        out = np.empty(hi - lo, dataset.dtype)
        assert reader.read_into(dataset, lo, hi, out) is fast, (dataset.name, lo, hi)
        if not fast:
            out = np.empty(hi - lo, dataset.dtype)
            read_into(dataset, lo, hi, out, reader)       # falls back to h5py's read
        assert same_rows(out, dataset[lo:hi]), (dataset.name, lo, hi)


@pytest.fixture(scope="module")
def written(tmp_path_factory, make_events):
    """A gzip and an uncompressed file written by Larcv3Writer (36,000 voxels per product: 3 voxel chunks)."""
    events = make_events(40, pixels=300)
    paths = {}
    for compression in ("gzip", None):
        path = paths[compression] = tmp_path_factory.mktemp("h5chunks") / f"events_{compression}.h5"
        with Larcv3Writer(path, compression=compression) as writer:
            for event in events:
                writer.write(event)
    return paths


def test_gzip_tables_written_by_argonet_inflate_like_h5py(written):
    with h5py.File(written["gzip"], "r") as h5:
        tables = [VOXELS, "Data/sparse2d_sbndwire_group/extents", "Data/sparse2d_sbndwire_group/image_meta"]
        assert h5[VOXELS].shape[0] == 36_000 and h5[VOXELS].chunks[0] < 36_000
        reader = ChunkReader()
        for k, name in enumerate(tables):
            assert deflate_only(h5[name])
            assert_reads_like_h5py(h5[name], reader, fast=True, seed=k)


def test_uncompressed_tables_take_h5pys_read(written):
    with h5py.File(written[None], "r") as h5:
        assert not deflate_only(h5[VOXELS])
        assert_reads_like_h5py(h5[VOXELS], ChunkReader(), fast=False)


def test_shuffled_gzip_takes_h5pys_read_and_reads_the_same(tmp_path):
    rows = np.random.default_rng(1).integers(0, 2**40, 50_000).astype(np.uint64)
    with h5py.File(tmp_path / "shuffled.h5", "w") as h5:
        for name, options in (("shuffle", {"shuffle": True}), ("fletcher32", {"fletcher32": True}),
                              ("gzip", {})):
            h5.create_dataset(name, data=rows, chunks=(4096,), compression="gzip", compression_opts=1, **options)
    with h5py.File(tmp_path / "shuffled.h5", "r") as h5:
        reader = ChunkReader()
        assert_reads_like_h5py(h5["shuffle"], reader, fast=False)
        assert_reads_like_h5py(h5["fletcher32"], reader, fast=False)
        assert_reads_like_h5py(h5["gzip"], reader, fast=True)


def test_real_larcv3_file_inflates_like_h5py(sample_path):
    # written by larcv3 3.5.1 itself: 1000-row voxel chunks, 16-byte (padded) voxel rows
    with h5py.File(sample_path, "r") as h5:
        reader = ChunkReader()
        names = [VOXELS, "Data/sparse2d_sbnd_cosmicseg_group/voxels", "Data/sparse2d_sbndwire_group/voxel_extents",
                 "Data/sparse2d_sbndwire_group/image_meta"]
        for k, name in enumerate(names):
            assert_reads_like_h5py(h5[name], reader, fast=True, seed=k)


def test_reader_batches_equal_plain_h5py_reads(written, sample_path):
    for path in (written["gzip"], written[None], sample_path):
        with Larcv3File(path) as f, h5py.File(path, "r") as h5:
            voxels = h5[VOXELS][:]
            lo = 0
            for start in range(0, len(f), 3):                # consecutive batches share boundary chunks
                batch = f.sparse2d_range("sbndwire", start, min(start + 3, len(f)))
                hi = lo + int(batch.voxel_offsets[-1])
                assert np.array_equal(batch.index, voxels["id"][lo:hi])
                assert np.array_equal(batch.value, voxels["value"][lo:hi])
                lo = hi
            assert lo == len(voxels)


def test_zlib_serves_when_isal_is_absent(written, monkeypatch):
    monkeypatch.setitem(sys.modules, "isal", None)           # import isal now raises ImportError
    assert inflate_module() is zlib
    with h5py.File(written["gzip"], "r") as h5:
        reader = ChunkReader()
        assert reader.inflate is zlib
        assert_reads_like_h5py(h5[VOXELS], reader, fast=True)
    with h5py.File(written["gzip"], "r") as h5:
        assert_reads_like_h5py(h5[VOXELS], ChunkReader(use_isal=False), fast=True, seed=3)


@pytest.mark.parametrize("dtype", [">f4", "<i2", np.dtype({"names": ["a", "b"], "formats": ["<u8", "<f4"],
                                                          "offsets": [0, 8], "itemsize": 16})])
def test_other_row_types_inflate_like_h5py(tmp_path, dtype):
    rows = np.zeros(20_000, dtype)
    for name in rows.dtype.names or [None]:
        column = rows if name is None else rows[name]
        column[...] = np.random.default_rng(2).integers(0, 30_000, len(rows))
    with h5py.File(tmp_path / "types.h5", "w") as h5:
        h5.create_dataset("t", data=rows, chunks=(3000,), compression="gzip", compression_opts=1)
    with h5py.File(tmp_path / "types.h5", "r") as h5:
        assert_reads_like_h5py(h5["t"], ChunkReader(), fast=True)


def test_unstored_raw_and_damaged_chunks_take_h5pys_read(tmp_path):
    rows = np.arange(4000, dtype="<i8")
    with h5py.File(tmp_path / "odd.h5", "w") as h5:
        table = h5.create_dataset("t", shape=(4000,), dtype="<i8", chunks=(1000,), compression="gzip",
                                  fillvalue=-7)
        table[:1000] = rows[:1000]                           # chunk 0 deflated; chunks 1-2 never written
        table.id.write_direct_chunk((3000,), rows[3000:].tobytes(), filter_mask=1)   # chunk 3 stored raw
        h5.create_dataset("bad", data=rows, chunks=(1000,), compression="gzip")
        h5["bad"].id.write_direct_chunk((1000,), b"\x78\x01 not a deflate stream", filter_mask=0)
    with h5py.File(tmp_path / "odd.h5", "r") as h5:
        reader, table = ChunkReader(), h5["t"]
        out = np.empty(500, "<i8")
        assert reader.read_into(table, 100, 600, out) and np.array_equal(out, rows[100:600])
        for lo, hi in ((900, 1100), (3500, 4000)):
            out = np.empty(hi - lo, "<i8")
            assert not reader.read_into(table, lo, hi, out)
            read_into(table, lo, hi, out, reader)
            assert np.array_equal(out, table[lo:hi])
        assert np.array_equal(table[1000:1002], [-7, -7]) and np.array_equal(table[3000:3002], rows[3000:3002])
        assert not reader.read_into(h5["bad"], 900, 1100, np.empty(200, "<i8"))
        with pytest.raises(OSError):                         # h5py's read reports the damage
            read_into(h5["bad"], 900, 1100, np.empty(200, "<i8"), reader)
