"""Datasets over detector files from the experiments: DUNE CVN pixel maps, LArCV2 ROOT files, Wire-Cell frames.

They serve the same items and metadata as the larcv3 datasets (``image`` (C, H, W) float32 with
one channel per wire plane, H along the wires, W along the drift; ``label``; ``entry``;
``class_names``, ``in_channels``, ``image_shape``, ``plane_ids``, ``class_counts()``) and take the
same data options: ``planes``, ``downsample`` (summed charge; labels take the block maximum),
``crop`` to the box of maximum charge, ``normalise``/``scale``/``clip``, ``augment`` flips.
``data.format`` picks them (see ``argonet.data.loader.FORMAT_DATASETS``):

* ``cvn``: a DUNE CVN folder; classes are argonet's event classes NUMU_CC, NUE_CC, NUTAU_CC, NC,
  so a model trained on simulated events of those truth classes evaluates here directly.
  ``class_names`` keeps only the events of the listed classes, in that label order.
* ``larcv2``: LArCV2 ROOT file(s), chained; the image2d product ``data.charge`` and the class from
  ``data.class_source``: ``particle:<field>`` of the first particle of ``data.particles``, or
  ``truth``, which for these files (no event-class record) means the PDG code of that particle.
* ``wirecell``: Wire-Cell frame file(s) (charge and truth frames may sit in separate files of the
  same events); a segmentation dataset with per-pixel classes background / track / shower from the
  PDG truth frame (``argonet.io.wirecell.topology_labels``).

Where the configured product is the default (``sbndwire``, ``sbnd_cosmicseg``, ``sbndneutrino``,
the names of argonet's own files) and the file has exactly one candidate, that one is used.
"""

from __future__ import annotations

from collections.abc import Sequence
import copy
from dataclasses import fields
import os
from typing import Any

import numpy as np
import torch

from argonet.conf.data import DataConfig
from argonet.data.image_files import LabelledImages, single_path
from argonet.data.stratified import stratified_split
from argonet.data.transforms import (as_factors, crop, crop_corners, downsample_dense, downsampled_shape, flip,
                                     random_flip_axes)
from argonet.errors import ConfigError, DataError, FormatError
from argonet.io.dune_cvn import CVN_CLASSES, CVN_SHAPE, scan_cvn_folder
from argonet.io.larcv2_root import Larcv2RootFile
from argonet.io.larcv3_layout import LARCV_PARTICLE_DTYPE
from argonet.io.wirecell import TOPOLOGY_CLASSES, WireCellFile, topology_labels

_DEFAULTS = {f.name: f.default for f in fields(DataConfig)}


def pick_product(requested: str, available: Sequence[str], option: str, what: str, file: str) -> str:
    """``requested`` when the file has it; the file's only candidate when ``requested`` is the default."""
    if requested in available:
        return requested
    if requested == _DEFAULTS[option] and len(available) == 1:
        return available[0]
    raise FormatError(f"no {what} {requested!r} (data.{option})", file=file, product=requested, available=available)


class PlaneStack(LabelledImages):
    """Base of the datasets here: plane selection, down-sampling, crop, flips, normalisation."""

    reads_batches = False

    def _configure(self, available: Sequence[int], shape: Sequence[int], planes: Sequence[int] | None,
                   downsample: int | Sequence[int], crop_box: int | Sequence[int] | None, crop_mode: str,
                   normalise: str, scale: float, clip: float | None,
                   augment: Sequence[str], flip_probability: float) -> None:
        """Check and keep the options; ``available`` are the file's plane ids, ``shape`` one plane's (wires, ticks)."""
        self._plane_ids = list(available if planes is None else planes)
        for plane in self._plane_ids:
            if plane not in available:
                raise ConfigError("data.planes", f"plane {plane} is not in the data", [str(p) for p in available])
        self._channels = [list(available).index(p) for p in self._plane_ids]
        self.factors = as_factors(downsample, "data.downsample")
        self.crop_box = None if crop_box is None else as_factors(crop_box, "data.crop")
        self.crop_mode, self.normalise, self.scale, self.clip = crop_mode, normalise, scale, clip
        self.augment, self.flip_probability = tuple(augment), flip_probability
        self.in_channels = len(self._plane_ids)
        self.image_shape = tuple(self.crop_box or downsampled_shape(shape, self.factors))

    @staticmethod
    def options(cfg: DataConfig) -> dict[str, Any]:
        """The shared options of a DataConfig, as keyword arguments."""
        return dict(planes=cfg.planes, downsample=cfg.factors, crop=cfg.crop_box, crop_mode=cfg.crop_mode,
                    normalise=cfg.normalise, scale=cfg.scale, clip=cfg.clip, augment=cfg.augment,
                    flip_probability=cfg.flip_probability)

    @property
    def plane_ids(self) -> list[int]:
        """Plane (view) ids kept as channels, in order."""
        return list(self._plane_ids)

    def without_augment(self) -> "PlaneStack":
        """A copy that reads the same images without random flips (validation, tests)."""
        other = copy.copy(self)
        other.augment = ()
        return other

    def _shape(self, image: np.ndarray, label: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Planes kept, down-sampled (charge summed, labels by block maximum), cropped and flipped."""
        image = downsample_dense(np.asarray(image[self._channels], np.float32), self.factors, "sum")
        if label is not None:
            label = downsample_dense(label[self._channels], self.factors, "max")
        if self.crop_box is not None:
            corners = crop_corners(image, self.crop_box, self.crop_mode)
            image = crop(image, corners, self.crop_box)
            label = None if label is None else crop(label, corners, self.crop_box)
        if self.augment:
            axes = random_flip_axes(self.augment, self.flip_probability)
            image = flip(image, axes)
            label = None if label is None else flip(label, axes)
        return image, label


class CvnDataset(PlaneStack):
    """DUNE CVN pixel maps of a folder: ``image`` (3, 500, 500) charge 0..255 as float32, ``label``, ``entry``."""

    def __init__(self, root: str | os.PathLike, class_names: Sequence[str] | None = None, *,
                 planes: Sequence[int] | None = None, downsample: int | Sequence[int] = 1,
                 crop: int | Sequence[int] | None = None, crop_mode: str = "per_plane",
                 normalise: str = "none", scale: float = 1.0, clip: float | None = None,
                 augment: Sequence[str] = (), flip_probability: float = 0.5):
        self.folder = scan_cvn_folder(root)
        self.class_names = list(CVN_CLASSES if class_names is None else class_names)
        unknown = [c for c in self.class_names if c not in CVN_CLASSES]
        if unknown:
            raise ConfigError("data.class_names", f"{unknown} are not CVN classes", CVN_CLASSES)
        names = self.folder.class_names
        self.indices = np.array([i for i, c in enumerate(names) if c in self.class_names], dtype=np.int64)
        if not len(self.indices):
            raise DataError(f"{root}: no event of the classes {self.class_names}")
        self.targets = np.array([self.class_names.index(names[i]) for i in self.indices], dtype=np.int64)
        self._configure(range(CVN_SHAPE[0]), CVN_SHAPE[1:], planes, downsample, crop, crop_mode, normalise, scale,
                        clip, augment, flip_probability)

    @classmethod
    def from_config(cls, cfg: DataConfig, **overrides) -> "CvnDataset":
        """The folder ``data.file`` with ``data.class_names`` and the shared options (keywords override them)."""
        return cls(single_path(cfg), cfg.class_names, **{**cls.options(cfg), **overrides})

    def __len__(self) -> int:
        return len(self.indices)

    def labels(self) -> np.ndarray:
        return self.targets.copy()

    def truth(self, i: int):
        """The truth record of entry ``i`` (class, neutrino pdg and energy, interaction code)."""
        return self.folder.truth(int(self.indices[i]))

    def __getitem__(self, i: int) -> dict:
        image, _ = self._shape(self.folder.pixel_map(int(self.indices[i])))
        return self._item(image, int(self.targets[i]), i)

    def halves(self, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(adapt, test) entries: ``per_class`` events of every class drawn with ``seed``, and all the others.

        The one split of the real events into the half a study may learn or choose from and the half it
        tests on (``argonet simtoreal``; ``argonet compare real_events=adapt|test``).
        """
        return stratified_split(self.targets, per_class, seed, len(self.class_names), self.class_names,
                                what="per_class")


class Larcv2Dataset(PlaneStack):
    """image2d projections of LArCV2 ROOT file(s) with a class per entry: ``image`` (C, H, W), ``label``, ``entry``."""

    def __init__(self, files: str | os.PathLike | Sequence[str | os.PathLike], *, image: str = "sbndwire",
                 particles: str = "sbndneutrino", class_source: str = "truth",
                 class_names: Sequence[str] | None = None, planes: Sequence[int] | None = None,
                 downsample: int | Sequence[int] = 1, crop: int | Sequence[int] | None = None,
                 crop_mode: str = "per_plane", normalise: str = "none", scale: float = 1.0,
                 clip: float | None = None, augment: Sequence[str] = (), flip_probability: float = 0.5):
        paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
        self.files = [Larcv2RootFile(p) for p in paths]
        self.offsets = np.cumsum([0] + [len(f) for f in self.files])
        if self.offsets[-1] == 0:
            raise DataError(f"{', '.join(map(str, paths))}: no entries")
        first = self.files[0]
        self.image = pick_product(image, first.products.get("image2d", []), "charge", "image2d product",
                                  str(first.path))
        field = "pdg" if class_source == "truth" else class_source.removeprefix("particle:")
        if field not in LARCV_PARTICLE_DTYPE.names:
            raise ConfigError("data.class_source", f"unknown particle field {field!r}", LARCV_PARTICLE_DTYPE.names)
        raw = []
        for f in self.files:
            producer = pick_product(particles, f.products.get("particle", []), "particles", "particle product",
                                    str(f.path))
            for e in range(len(f)):
                rows = f.particles_raw(producer, e)
                if not len(rows):
                    raise DataError(f"file {f.path}, event {e}: no particle in particle/{producer} "
                                    "to take the class from")
                raw.append(str(rows[field][0].item()))
        present = sorted(set(raw), key=lambda s: (float(s) if _is_number(s) else float("inf"), s))
        self.class_names = list(present if class_names is None else class_names)
        unknown = [i for i, c in enumerate(raw) if c not in self.class_names]
        if unknown:
            raise DataError(f"{self.where(unknown[0])}: class {raw[unknown[0]]!r} is not one of the configured "
                            f"classes {self.class_names}")
        self.targets = np.array([self.class_names.index(c) for c in raw], dtype=np.int64)
        images = first.image2d(self.image, 0)
        self.full_shape = images[0].meta.shape
        self._configure([im.meta.projection_id for im in images], self.full_shape, planes, downsample, crop,
                        crop_mode, normalise, scale, clip, augment, flip_probability)

    @classmethod
    def from_config(cls, cfg: DataConfig, **overrides) -> "Larcv2Dataset":
        """The files ``data.file`` with the image2d product ``data.charge`` and the class options."""
        return cls(cfg.paths(), image=cfg.charge, particles=cfg.particles, class_source=cfg.class_source,
                   class_names=cfg.class_names, **{**cls.options(cfg), **overrides})

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def labels(self) -> np.ndarray:
        return self.targets.copy()

    def locate(self, i: int) -> tuple[Larcv2RootFile, int]:
        """(file, entry inside it) of a global entry."""
        k = int(np.searchsorted(self.offsets, i, side="right")) - 1
        return self.files[k], int(i - self.offsets[k])

    def where(self, i: int) -> str:
        """'file F, event N' of a global entry, for messages."""
        f, local = self.locate(i)
        return f"file {f.path}, event {local}"

    def __getitem__(self, i: int) -> dict:
        f, local = self.locate(i)
        images = f.image2d(self.image, local)
        if any(im.meta.shape != self.full_shape for im in images):
            raise DataError(f"{self.where(i)}: image2d/{self.image} projections of shape "
                            f"{[im.meta.shape for im in images]} differ from the first entry's {self.full_shape}")
        image, _ = self._shape(np.stack([im.pixels for im in images]))
        return self._item(image, int(self.targets[i]), i)


def _is_number(text: str) -> bool:
    """Whether a class value reads as a number (then classes sort numerically)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


class WireCellSegmentation(PlaneStack):
    """Wire-Cell frames split into U, V, W planes with per-pixel topology labels:
    ``image`` (3, 960, n_ticks) float32 (U and V zero-padded to the 960 W wires), ``label`` same shape
    (0 background, 1 track, 2 shower), ``entry``."""

    def __init__(self, files: str | os.PathLike | Sequence[str | os.PathLike], *, charge: str = "sbndwire",
                 labels: str = "sbnd_cosmicseg", label_dtype: str = "int64", planes: Sequence[int] | None = None,
                 downsample: int | Sequence[int] = 1, crop: int | Sequence[int] | None = None,
                 crop_mode: str = "per_plane", normalise: str = "none", scale: float = 1.0,
                 clip: float | None = None, augment: Sequence[str] = (), flip_probability: float = 0.5):
        paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
        self.files = [WireCellFile(p) for p in paths]
        self.class_names = list(TOPOLOGY_CLASSES)
        self.charge_file, self.charge = self._find(charge, "charge", [f.charge_tags for f in self.files])
        self.label_file, self.label_tag = self._find("pid_1st" if labels == _DEFAULTS["labels"] else labels, "labels",
                                                     [f.tags for f in self.files])
        a, b = self.files[self.charge_file], self.files[self.label_file]
        if a.events != b.events:
            raise FormatError(f"the charge and truth frames list different events ({len(a.events)} and "
                              f"{len(b.events)} groups)", file=str(b.path))
        self.label_dtype = np.dtype(label_dtype)
        shapes = [p.shape for p in a.planes(0, self.charge)]
        self.full_shape = (max(s[0] for s in shapes), shapes[0][1])
        self._configure(range(len(shapes)), self.full_shape, planes, downsample, crop, crop_mode, normalise, scale,
                        clip, augment, flip_probability)

    def _find(self, tag: str, option: str, tags: list[list[str]]) -> tuple[int, str]:
        """(file index, tag) of a frame tag among the files (the only charge tag when left at the default)."""
        for k, have in enumerate(tags):
            if tag in have:
                return k, tag
        candidates = [(k, t) for k, have in enumerate(tags) for t in have]
        if option == "charge" and tag == _DEFAULTS["charge"] and len(candidates) == 1:
            return candidates[0]
        raise FormatError(f"no frame tag {tag!r} (data.{option})", file=", ".join(str(f.path) for f in self.files),
                          product=tag, available=[t for _, t in candidates] or [t for have in tags for t in have])

    @classmethod
    def from_config(cls, cfg: DataConfig, **overrides) -> "WireCellSegmentation":
        """The files ``data.file``: charge frame tag ``data.charge``, PDG truth tag ``data.labels``."""
        return cls(cfg.paths(), charge=cfg.charge, labels=cfg.labels, label_dtype=cfg.label_dtype,
                   **{**cls.options(cfg), **overrides})

    def __len__(self) -> int:
        return len(self.files[self.charge_file])

    def _planes(self, file: WireCellFile, i: int, tag: str) -> np.ndarray:
        """(3, full wires, ticks) stack of an event's planes, zero-padded."""
        planes = file.planes(i, tag)
        out = np.zeros((len(planes), *self.full_shape), np.float32)
        for c, plane in enumerate(planes):
            if plane.shape[1] != self.full_shape[1]:
                raise DataError(f"file {file.path}, event {i}: frame {tag} has {plane.shape[1]} ticks, "
                                f"the first event {self.full_shape[1]}")
            out[c, :plane.shape[0]] = plane
        return out

    def labels(self) -> np.ndarray:
        raise DataError("a segmentation dataset has per-pixel labels; see class_counts() for pixels per class")

    def class_counts(self) -> dict[str, int]:
        """Pixels per class over all events and kept planes (padding excluded; reads every truth frame)."""
        counts = np.zeros(len(self.class_names), np.int64)
        truth = self.files[self.label_file]
        for i in range(len(self)):
            planes = truth.planes(i, self.label_tag)
            for c in self._channels:
                counts += np.bincount(topology_labels(planes[c]).ravel(), minlength=len(counts))
        return dict(zip(self.class_names, counts.tolist()))

    def __getitem__(self, i: int) -> dict:
        charge = self._planes(self.files[self.charge_file], i, self.charge)
        label = topology_labels(self._planes(self.files[self.label_file], i, self.label_tag))
        image, label = self._shape(charge, label)
        item = self._item(image, 0, i)
        item["label"] = torch.from_numpy(np.ascontiguousarray(label).astype(self.label_dtype))
        return item
