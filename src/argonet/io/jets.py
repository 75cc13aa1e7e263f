"""Jet-image HDF5 files, in the two layouts the community publishes.

Supported layouts (detected from the dataset names):

* **HSF** (``jet-images.h5`` of the HEP Software Foundation ML tutorials, and what argonet's jet
  simulator writes): ``images`` (N, H, W), ``labels`` (N,) integer class ids or (N, K) one-hot;
  optional ``features`` (N,) compound table; class names in the root attribute ``class_names``
  (JSON list) when present, otherwise ``"0", "1", ...``.
* **hls4ml** (LHC jet dataset, Zenodo 3602260): ``jetImage`` (N, H, W); labels are the one-hot
  columns ``j_g, j_q, j_w, j_z, j_t`` of the ``jets`` table, found by name through
  ``jetFeatureNames`` (or, without names, columns -6..-2 as the tutorials slice them); ``jets``
  becomes the ``features`` table. ``jetConstituentList`` and the ECAL/HCAL images are not read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
from numpy.lib import recfunctions

from argonet.errors import FormatError
from argonet.io.atomic import AtomicPath
from argonet.io.h5handle import LazyH5File

HLS4ML_LABEL_COLUMNS = ("j_g", "j_q", "j_w", "j_z", "j_t")
HLS4ML_CLASSES = ("gluon", "light_quark", "W", "Z", "top")
#: a jet file whose images take at most this much memory (as float32) is held in memory by ``take``
IN_MEMORY_BYTES = 2 << 30
@dataclass
class JetImages:
    """Jet images in memory: images (N, H, W) float32, labels (N,) int64 indexing class_names."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    features: np.ndarray | None = None           # (N,) compound table, one field per feature
    attrs: dict = field(default_factory=dict)


def _decode(value) -> str:
    """Attribute or table text as str."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _one_hot_to_index(onehot: np.ndarray, where: dict) -> np.ndarray:
    """Class ids from one-hot rows; FormatError unless every row has exactly one 1."""
    onehot = np.asarray(onehot)
    if not bool(np.all((onehot == 0) | (onehot == 1))) or not bool(np.all(onehot.sum(axis=1) == 1)):
        raise FormatError("one-hot labels with rows that are not exactly one 1", **where)
    return np.argmax(onehot, axis=1).astype(np.int64)


class JetImageFile(LazyH5File):
    """A jet-image file read lazily: labels at open, images by slice (pickles into workers).

    ``images`` names the (N, H, W) dataset to read instead of the layout's own (``images_groomed``
    of argonet's jet files); the labels are the layout's either way.
    """

    def __init__(self, path: str | os.PathLike, images: str | None = None):
        self.requested = images
        super().__init__(path)

    def _open_and_check(self) -> None:
        """Detect the layout, read the labels, check images and labels agree."""
        with self._guard():
            h5 = self._file()
            if "images" in h5:
                self.layout, self.images_key = "hsf", "images"
                self.labels, self.class_names = self._hsf_labels(h5)
            elif "jetImage" in h5:
                self.layout, self.images_key = "hls4ml", "jetImage"
                self.labels, self.class_names = self._hls4ml_labels(h5)
            else:
                raise FormatError("no jet images (expected 'images' + 'labels', or hls4ml 'jetImage' + 'jets')",
                                  file=str(self.path), available=list(h5.keys()), product="images")
            if self.requested is not None:
                if self.requested not in h5:
                    raise FormatError("no such image dataset (data.jet_images)", file=str(self.path),
                                      product=self.requested, available=list(h5.keys()))
                self.images_key = self.requested
            images = h5[self.images_key]
            where = dict(file=str(self.path), product=self.images_key)
            if not isinstance(images, h5py.Dataset) or images.ndim != 3 or images.dtype.kind not in "uif":
                raise FormatError("images must be a numeric (N, H, W) dataset", **where)
            if images.shape[0] != len(self.labels):
                raise FormatError(f"{images.shape[0]} images but {len(self.labels)} labels", **where)
            self.image_shape = tuple(int(n) for n in images.shape[1:])

    def _check_labels(self, labels: np.ndarray, class_names: list[str], dataset: str) -> np.ndarray:
        """Labels must be class ids within the class list."""
        where = dict(file=str(self.path), product=dataset)
        if labels.dtype.kind == "f" and not bool(np.all(labels == np.round(labels))):
            raise FormatError("labels are not integer class ids", **where)
        labels = labels.astype(np.int64)
        bad = (labels < 0) | (labels >= len(class_names))
        if bool(bad.any()):
            raise FormatError(f"label {int(labels[bad][0])} is outside the {len(class_names)} classes "
                              f"{class_names}", **where)
        return labels

    def _hsf_labels(self, h5: h5py.File) -> tuple[np.ndarray, list[str]]:
        """Labels and class names of the HSF layout."""
        where = dict(file=str(self.path), product="labels")
        if not isinstance(h5.get("labels"), h5py.Dataset):
            raise FormatError("no labels dataset beside images", **where)
        labels = h5["labels"][()]
        if labels.ndim == 2:
            labels = _one_hot_to_index(labels, where)
        if labels.ndim != 1 or labels.dtype.kind not in "uif":
            raise FormatError(f"labels must be (N,) class ids or (N, K) one-hot, got {labels.shape}", **where)
        names = h5.attrs.get("class_names", h5["labels"].attrs.get("class_names"))
        if names is None:
            class_names = [str(i) for i in range(int(labels.max()) + 1 if len(labels) else 0)]
        elif isinstance(names, (str, bytes)):
            class_names = [str(n) for n in json.loads(_decode(names))]
        else:
            class_names = [_decode(n) for n in names]
        return self._check_labels(labels, class_names, "labels"), class_names

    def _hls4ml_labels(self, h5: h5py.File) -> tuple[np.ndarray, list[str]]:
        """Labels of the hls4ml layout, from the one-hot columns of ``jets``."""
        where = dict(file=str(self.path), product="jets")
        jets = h5.get("jets")
        if not isinstance(jets, h5py.Dataset) or jets.ndim != 2:
            raise FormatError("hls4ml layout needs the 2-D 'jets' table holding the one-hot labels", **where)
        names = [_decode(n) for n in h5["jetFeatureNames"][()]] if "jetFeatureNames" in h5 else None
        if names is not None and all(c in names for c in HLS4ML_LABEL_COLUMNS):
            columns = [names.index(c) for c in HLS4ML_LABEL_COLUMNS]
        elif jets.shape[1] >= 6:
            columns = list(range(jets.shape[1] - 6, jets.shape[1] - 1))
        else:
            raise FormatError(f"'jets' has {jets.shape[1]} columns, too few for the 5 one-hot labels", **where)
        onehot = jets[:, min(columns):max(columns) + 1][:, np.asarray(columns) - min(columns)]
        return _one_hot_to_index(onehot, where), list(HLS4ML_CLASSES)

    def __len__(self) -> int:
        """Number of jets."""
        return len(self.labels)

    def images(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Images start..stop as float32 (n, H, W)."""
        with self._guard(self.images_key):
            return self._file()[self.images_key][start:stop].astype(np.float32)

    def _reset_caches(self) -> None:
        """Forget the images held in memory (per process: a pickled copy starts empty)."""
        self._in_memory: np.ndarray | None = None

    def take(self, entries: np.ndarray) -> np.ndarray:
        """Images at any entries as float32 (n, H, W), in the order given: a file of at most
        IN_MEMORY_BYTES of images is read whole once (training draws jets at random), a larger one
        point by point in one sorted read."""
        entries = np.asarray(entries, np.int64)
        if len(entries) and (entries.min() < 0 or entries.max() >= len(self)):
            raise FormatError(f"entries must lie in 0..{len(self) - 1}", file=str(self.path), product=self.images_key)
        with self._guard(self.images_key):
            data = self._file()[self.images_key]
            if self._in_memory is None and data.size * 4 <= IN_MEMORY_BYTES:
                self._in_memory = data[()].astype(np.float32)
            if self._in_memory is not None:
                return self._in_memory[entries]
            unique, inverse = np.unique(entries, return_inverse=True)
            return data[unique].astype(np.float32)[inverse] if len(unique) else np.zeros((0, *data.shape[1:]),
                                                                                       np.float32)

    @property
    def features(self) -> np.ndarray | None:
        """The per-jet feature table as a compound array (None when the file has none)."""
        with self._guard("features"):
            h5 = self._file()
            if self.layout == "hsf":
                return h5["features"][()] if "features" in h5 else None
            table = h5["jets"][()]
            names = ([_decode(n) for n in h5["jetFeatureNames"][()]] if "jetFeatureNames" in h5
                     else [f"f{i}" for i in range(table.shape[1])])
            if len(names) != table.shape[1] or len(set(names)) != len(names):
                names = [f"f{i}" for i in range(table.shape[1])]
            dtype = np.dtype([(n, table.dtype) for n in names])
            return recfunctions.unstructured_to_structured(np.ascontiguousarray(table), dtype)

    @property
    def attrs(self) -> dict:
        """Root attributes, text decoded."""
        with self._guard():
            return {k: _decode(v) if isinstance(v, bytes) else v for k, v in self._file().attrs.items()}

    def read(self) -> JetImages:
        """Everything in memory."""
        return JetImages(self.images(), self.labels.copy(), list(self.class_names), self.features, self.attrs)


def read_jet_images(path: str | os.PathLike) -> JetImages:
    """Load a whole jet-image file (HSF or hls4ml layout) into memory."""
    with JetImageFile(path) as f:
        return f.read()


class JetImageChain:
    """Several jet-image files read as one sample (the shards of ``argonet simulate ... shard=i/N``):
    entries in file order; the files must agree on classes and image shape."""

    def __init__(self, paths: Sequence[str | os.PathLike], images: str | None = None):
        if not paths:
            raise FormatError("no jet-image file given", product="images")
        self.files: list[JetImageFile] = []
        try:
            for path in paths:
                self.files.append(JetImageFile(path, images))
                first, last = self.files[0], self.files[-1]
                for what in ("class_names", "image_shape"):
                    if getattr(last, what) != getattr(first, what):
                        raise FormatError(f"{what} {getattr(last, what)} differ from {getattr(first, what)} of "
                                          f"{first.path}", file=str(last.path), product="images")
        except FormatError:
            self.close()
            raise
        self.class_names, self.image_shape, self.layout = first.class_names, first.image_shape, first.layout
        self.labels = np.concatenate([f.labels for f in self.files])
        self.offsets = np.cumsum([0] + [len(f) for f in self.files])

    def __len__(self) -> int:
        """Number of jets in all files."""
        return int(self.offsets[-1])

    def images(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Images start..stop of the chain as float32 (n, H, W)."""
        stop = len(self) if stop is None else min(stop, len(self))
        parts = [f.images(max(start - lo, 0), min(stop, hi) - lo)
                 for f, lo, hi in zip(self.files, self.offsets[:-1], self.offsets[1:]) if start < hi and stop > lo]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.float32)

    @property
    def features(self) -> np.ndarray | None:
        """The feature tables of all files, concatenated (None when a file has none)."""
        tables = [f.features for f in self.files]
        if any(t is None for t in tables):
            return None
        for f, table in zip(self.files[1:], tables[1:]):
            if table.dtype != tables[0].dtype:
                raise FormatError(f"feature columns {table.dtype.names} differ from {tables[0].dtype.names} of "
                                  f"{self.files[0].path}", file=str(f.path), product="features")
        return np.concatenate(tables)

    def take(self, entries: np.ndarray) -> np.ndarray:
        """Images at any entries of the chain, in the order given (see ``JetImageFile.take``)."""
        entries = np.asarray(entries, np.int64)
        which = np.searchsorted(self.offsets, entries, side="right") - 1
        if len(entries) and (entries.min() < 0 or entries.max() >= len(self)):
            raise FormatError(f"entries must lie in 0..{len(self) - 1}", file=str(self.files[0].path), product="images")
        out = np.zeros((len(entries), *self.image_shape), np.float32)
        for k in np.unique(which):
            chosen = which == k
            out[chosen] = self.files[k].take(entries[chosen] - self.offsets[k])
        return out

    def close(self) -> None:
        """Release every file handle."""
        for f in self.files:
            f.close()

    def __enter__(self) -> "JetImageChain":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _feature_table(features, n: int) -> np.ndarray:
    """A compound (n,) table from a compound array or a mapping of equal-length columns."""
    if isinstance(features, Mapping):
        columns = {str(k): np.asarray(v) for k, v in features.items()}
        bad = [k for k, v in columns.items() if v.shape[:1] != (n,)]
        if bad:
            raise FormatError(f"feature columns {bad} do not have one value per jet ({n})", product="features")
        features = np.zeros(n, [(k, v.dtype, v.shape[1:]) for k, v in columns.items()])
        for k, v in columns.items():
            features[k] = v
    features = np.asarray(features)
    if features.dtype.names is None or features.shape != (n,):
        raise FormatError(f"features must be a compound (N,) table or a mapping of (N,) columns with N = {n}",
                          product="features")
    return features


def write_jet_images(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
                     class_names: Sequence[str], features=None, attrs: dict | None = None,
                     overwrite: bool = False, extra_images: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write the HSF layout (images, labels, features, class_names) atomically; returns the path.
    ``extra_images`` are further (N, H, W) datasets beside ``images`` (e.g. ``images_groomed``)."""
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)
    class_names = [str(c) for c in class_names]
    where = dict(file=str(path))
    if images.ndim != 3:
        raise FormatError(f"images must be (N, H, W), got {images.shape}", product="images", **where)
    if labels.shape != (len(images),):
        raise FormatError(f"{len(images)} images but labels of shape {labels.shape}", product="labels", **where)
    labels = labels.astype(np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise FormatError(f"labels must lie in 0..{len(class_names) - 1} ({class_names})", product="labels", **where)
    table = _feature_table(features, len(images)) if features is not None else None
    extra = {str(k): np.asarray(v, np.float32) for k, v in (extra_images or {}).items()}
    for name, other in extra.items():
        if name in ("images", "labels", "features"):
            raise FormatError("is a name of the layout itself", product=name, **where)
        if other.shape != images.shape:
            raise FormatError(f"shape {other.shape} differs from the images' {images.shape}", product=name, **where)
    with AtomicPath(path, overwrite) as out, h5py.File(out.tmp, "w") as h5:
        # small chunks (training reads jets at random); an empty file has nothing to chunk
        storage = (dict(chunks=(min(len(images), 16), *images.shape[1:]), compression="gzip", compression_opts=1)
                   if len(images) else {})
        for name, data in {"images": images, **extra}.items():
            h5.create_dataset(name, data=data, **storage)
        h5.create_dataset("labels", data=labels)
        if table is not None:
            h5.create_dataset("features", data=table)
        h5.attrs["class_names"] = json.dumps(class_names)
        for key, value in (attrs or {}).items():
            h5.attrs[str(key)] = value if isinstance(value, (str, int, float, np.generic)) else json.dumps(value)
    return out.path
