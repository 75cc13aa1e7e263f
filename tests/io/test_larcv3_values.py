"""Voxel values: non-finite charge is refused naming file, product and event; other float widths are
converted explicitly to float32 (larcv3-format.md, "Voxel values")."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from argonet.errors import DataError, FormatError
from argonet.event import ImageMeta, SparseImage
from argonet.io import Larcv3File, Larcv3Writer, write_events

VOXELS = "Data/sparse2d_sbndwire_group/voxels"


def _damage(path, entry: int, plane: int, value: float) -> None:
    """Overwrite the first charge voxel of one projection of one event in place."""
    with h5py.File(path, "r+") as h5:
        group = h5["Data/sparse2d_sbndwire_group"]
        first = int(group["extents"][entry]["first"]) + plane
        row = int(group["voxel_extents"][first]["first"])
        voxel = group["voxels"][row]
        voxel["value"] = value
        group["voxels"][row] = voxel


def _retype(path, value_dtype: str) -> None:
    """Rewrite the charge voxel table with another width of its value column (as another writer might)."""
    with h5py.File(path, "r+") as h5:
        rows = h5[VOXELS][:]
        narrowed = np.empty(len(rows), [("id", "<u8"), ("value", value_dtype)])
        narrowed["id"], narrowed["value"] = rows["id"], rows["value"]
        del h5[VOXELS]
        h5.create_dataset(VOXELS, data=narrowed, chunks=True, maxshape=(None,))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_charge_is_refused_naming_file_product_and_event(tmp_path, make_events, bad):
    path = write_events(tmp_path / "damaged.h5", make_events(4))
    _damage(path, entry=2, plane=1, value=bad)
    with Larcv3File(path) as f:
        assert np.isfinite(f.sparse2d("sbndwire", 1)[1].value).all()        # other events still read
        pattern = rf"damaged\.h5.*'sparse2d/sbndwire'.*event 2: non-finite value {bad} in projection 1"
        with pytest.raises(FormatError, match=pattern):
            f.sparse2d("sbndwire", 2)
        with pytest.raises(FormatError, match=pattern):                     # the batch read of training
            f.sparse2d_range("sbndwire", 0, 4)
        with pytest.raises(FormatError, match="event 2: non-finite"):
            f.event(2)


def test_float16_values_widen_exactly_to_float32(tmp_path, make_events):
    events = make_events(3)
    path = write_events(tmp_path / "half.h5", events)
    _retype(path, "<f2")
    with Larcv3File(path) as f:
        for entry, event in enumerate(events):
            for got, want in zip(f.sparse2d("sbndwire", entry), event.charge):
                assert got.value.dtype == np.float32
                assert np.array_equal(got.value, want.value.astype(np.float16).astype(np.float32))


def test_float64_values_round_to_float32_and_overflow_is_refused(tmp_path, make_events):
    events = make_events(2)
    path = write_events(tmp_path / "double.h5", events)
    _retype(path, "<f8")
    with Larcv3File(path) as f:
        assert np.array_equal(f.sparse2d("sbndwire", 1)[0].value, events[1].charge[0].value)
    _damage(path, entry=1, plane=0, value=1e39)                               # beyond float32's range
    with Larcv3File(path) as f, pytest.raises(FormatError, match="event 1: non-finite value inf in projection 0"):
        f.sparse2d("sbndwire", 1)


def test_writer_refuses_non_finite_values(tmp_path):
    meta = ImageMeta(0, (4, 5), (4.0, 5.0), (0.0, 0.0))
    with Larcv3Writer(tmp_path / "w.h5") as w:
        with pytest.raises(DataError, match="sparse2d/q projection 0: non-finite value nan"):
            w.write_products({"sparse2d/q": [SparseImage(meta, np.array([1, 2], np.uint64),
                                                         np.array([1.0, np.nan], np.float32))]})
        assert len(w) == 0
