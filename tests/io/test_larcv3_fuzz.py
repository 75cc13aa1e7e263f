"""Damaged larcv3 files: opening and reading any entry raises only argonet errors, never library ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argonet.errors import ArgonetError
from argonet.io import Larcv3File, write_events

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def originals(tmp_path_factory, sample_path, make_events) -> dict[str, Path]:
    """The larcv3-written sample and a file of our writer (with argonet's truth and label extras)."""
    ours = write_events(tmp_path_factory.mktemp("fuzz") / "ours.h5", make_events(4, seed=11, pixels=30))
    return {"larcv3": sample_path, "argonet": ours}


def _datasets(path: Path) -> list[str]:
    names = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


def _attempt(call, *args) -> None:
    """Run one read; an argonet error is the expected outcome on damaged input."""
    try:
        call(*args)
    except ArgonetError:
        pass


def read_everything(path: Path) -> None:
    """Open the file and read every entry of every product with every reader method."""
    try:
        f = Larcv3File(path)
    except ArgonetError:
        return
    with f:
        _attempt(lambda: f.event_ids)
        _attempt(lambda: f.attrs)
        methods = {"sparse2d": [f.sparse2d], "particle": [f.particles, f.particles_raw],
                   "cluster2d": [f.cluster2d], "image2d": [f.image2d]}
        n = len(f)
        entries = sorted({e for e in (0, 1, 2, 3, 4, 5, n - 2, n - 1) if 0 <= e < n})
        for product_type, producers in f.products.items():
            for producer in producers:
                for entry in entries:
                    for method in methods.get(product_type, []):
                        _attempt(method, producer, entry)
                if product_type == "sparse2d":
                    _attempt(f.sparse2d_range, producer, 0, min(n, 8))
        for entry in entries:
            _attempt(f.truth, entry)
            _attempt(f.event, entry)
            _attempt(f.event, entry, "sbndwire", "sbnd_cosmicseg", None, "sbndneutrino")


def _damaged_copy(originals, which: str, tmp_path: Path) -> Path:
    out = tmp_path / f"damaged_{which}.h5"
    shutil.copy(originals[which], out)
    out.chmod(0o644)
    return out


@FUZZ
@given(which=st.sampled_from(["larcv3", "argonet"]), data=st.data())
def test_corrupt_bytes(originals, tmp_path, which, data):
    path = _damaged_copy(originals, which, tmp_path)
    raw = bytearray(path.read_bytes())
    position = st.one_of(st.integers(0, min(len(raw), 8192) - 1), st.integers(0, len(raw) - 1))
    for at, value in data.draw(st.lists(st.tuples(position, st.integers(0, 255)), min_size=1, max_size=24)):
        raw[at] = value
    path.write_bytes(bytes(raw))
    read_everything(path)


@FUZZ
@given(which=st.sampled_from(["larcv3", "argonet"]), fraction=st.floats(0.0, 0.999))
def test_truncated_file(originals, tmp_path, which, fraction):
    path = _damaged_copy(originals, which, tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * fraction)])
    read_everything(path)


@FUZZ
@given(which=st.sampled_from(["larcv3", "argonet"]), data=st.data())
def test_deleted_dataset_or_group(originals, tmp_path, which, data):
    path = _damaged_copy(originals, which, tmp_path)
    names = _datasets(path)
    target = data.draw(st.sampled_from(names + sorted({n.rsplit("/", 1)[0] for n in names})))
    with h5py.File(path, "a") as f:
        del f[target]
    read_everything(path)


def _replacement(kind: str, old: h5py.Dataset, rng: np.random.Generator) -> np.ndarray:
    """A dataset of the wrong dtype, shape or content to put in place of ``old``."""
    n = old.shape[0] if old.ndim else 1
    if kind == "float64":
        return rng.normal(size=n)
    if kind == "int8":
        return rng.integers(-100, 100, n).astype(np.int8)
    if kind == "two_dimensional":
        return np.zeros((n, 2))
    if kind == "strings":
        return np.array([b"x" * 5] * n)
    if kind == "empty":
        return old[:0]
    rows = old[()]
    if rows.dtype.names is None:
        return rows
    if kind == "missing_field":
        names = list(rows.dtype.names)[1:]
        return rows[names].copy() if names else np.zeros(n)
    # huge or negative-looking numbers in every integer field (extents past the end, ids past the image)
    for name in rows.dtype.names:
        if rows.dtype[name].kind in "ui" and rows.dtype[name].shape == ():
            rows[name] = np.iinfo(rows.dtype[name]).max
    return rows


@FUZZ
@given(which=st.sampled_from(["larcv3", "argonet"]), data=st.data(),
       kind=st.sampled_from(["float64", "int8", "two_dimensional", "strings", "empty", "missing_field", "huge"]))
def test_wrong_dtypes_and_contents(originals, tmp_path, which, data, kind):
    path = _damaged_copy(originals, which, tmp_path)
    target = data.draw(st.sampled_from(_datasets(path)))
    with h5py.File(path, "a") as f:
        new = _replacement(kind, f[target], np.random.default_rng(0))
        del f[target]
        f.create_dataset(target, data=new)
    read_everything(path)


def test_damage_is_reported_with_the_file_name(originals, tmp_path):
    path = _damaged_copy(originals, "larcv3", tmp_path)
    with h5py.File(path, "a") as f:
        extents = f["Data/sparse2d_sbndwire_group/voxel_extents"][()]
        extents["N"][4] = 10**6
        del f["Data/sparse2d_sbndwire_group/voxel_extents"]
        f["Data/sparse2d_sbndwire_group/voxel_extents"] = extents
    with Larcv3File(path) as f:
        f.sparse2d("sbndwire", 0)
        with pytest.raises(ArgonetError) as err:
            f.sparse2d("sbndwire", 1)
    message = str(err.value)
    assert str(path) in message and "sparse2d/sbndwire" in message and "event 1" in message
