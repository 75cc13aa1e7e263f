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
    """A jet-image file read lazily: labels at open, images by slice (pickles into workers)."""

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
                     overwrite: bool = False) -> Path:
    """Write the HSF layout (images, labels, features, class_names) atomically; returns the path."""
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
    out = AtomicPath(path, overwrite)
    try:
        with h5py.File(out.tmp, "w") as h5:
            chunk = (max(1, min(len(images), 64)), *images.shape[1:])
            h5.create_dataset("images", data=images, chunks=chunk if len(images) else None,
                              compression="gzip" if len(images) else None, compression_opts=1 if len(images) else None)
            h5.create_dataset("labels", data=labels)
            if table is not None:
                h5.create_dataset("features", data=table)
            h5.attrs["class_names"] = json.dumps(class_names)
            for key, value in (attrs or {}).items():
                h5.attrs[str(key)] = value if isinstance(value, (str, int, float, np.generic)) else json.dumps(value)
        return out.commit()
    except BaseException:
        out.discard()
        raise
