"""Classification datasets over layouts other than larcv3: per-class image folders and jet-image HDF5 files.

They offer the metadata the model builder and the training command read from every dataset:
``class_names``, ``in_channels``, ``image_shape``, ``plane_ids`` (channel ids) and ``class_counts()``.
"""

from __future__ import annotations

from collections import Counter
import os
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from argonet.conf.data import DataConfig
from argonet.data.transforms import normalise
from argonet.errors import ConfigError, DataError
from argonet.io import JetImageChain, scan_image_folder


def single_path(cfg: DataConfig) -> str:
    """The one file or folder of ``cfg.file`` (these layouts do not chain several files)."""
    paths = cfg.paths()
    if len(paths) != 1:
        raise ConfigError("data.file", f"data.format={cfg.format} reads one path, got {len(paths)}: {paths[:3]}")
    return paths[0]


class LabelledImages(Dataset):
    """What the datasets of this module share: metadata from the first image, and class bookkeeping."""

    class_names: list[str]
    in_channels: int
    image_shape: tuple[int, ...]

    @property
    def plane_ids(self) -> list[int]:
        """Channel ids (these layouts have no wire planes to select)."""
        return list(range(self.in_channels))

    def labels(self) -> np.ndarray:
        """Label index of every entry (int64)."""
        raise NotImplementedError

    def class_counts(self) -> dict[str, int]:
        """Entries per class (to spot imbalance)."""
        counts = Counter(self.labels().tolist())
        return {name: counts.get(i, 0) for i, name in enumerate(self.class_names)}

    def _item(self, image: np.ndarray, label: int, i: int) -> dict[str, Any]:
        """The dataset dict of one entry, normalised like the larcv3 datasets."""
        image = torch.from_numpy(np.ascontiguousarray(image, np.float32))
        image = normalise(image, self.normalise, self.scale, self.clip)
        return {"image": image, "label": torch.tensor(int(label)), "entry": torch.tensor(i)}


class ImageFolderDataset(LabelledImages):
    """Images of a per-class folder tree (``root/<class>/*.png|jpg|npy``): ``image`` (C, H, W), ``label``."""

    def __init__(self, root: str | os.PathLike, class_names: list[str] | None = None,
                 normalise: str = "none", scale: float = 1.0, clip: float | None = None):
        self.folder = scan_image_folder(root, class_names)
        self.class_names = list(self.folder.class_names)
        self.normalise, self.scale, self.clip = normalise, scale, clip
        first = self.folder.load(0)[0]
        self.in_channels, self.image_shape = first.shape[0], tuple(first.shape[1:])

    @classmethod
    def from_config(cls, cfg: DataConfig) -> "ImageFolderDataset":
        """The folder ``data.file`` with ``data.class_names`` and the normalisation options."""
        return cls(single_path(cfg), cfg.class_names, cfg.normalise, cfg.scale, cfg.clip)

    def __len__(self) -> int:
        return len(self.folder)

    def labels(self) -> np.ndarray:
        return np.asarray(self.folder.labels, dtype=np.int64)

    def __getitem__(self, i: int) -> dict:
        image, label = self.folder.load(i)
        if image.shape != (self.in_channels, *self.image_shape):
            raise DataError(f"file {self.folder.files[i]}: image of shape {image.shape} differs from the "
                            f"first image's {(self.in_channels, *self.image_shape)}")
        return self._item(image, label, i)


class JetImageDataset(LabelledImages):
    """Jet images of one file or of several read in order (shards), HSF / hls4ml layouts:
    ``image`` (C, H, W) float32, ``label``, ``entry``; one channel per dataset of ``images``
    (default: the layout's own images; e.g. ``["images", "images_groomed"]``)."""

    def __init__(self, path: str | os.PathLike | list, normalise: str = "none", scale: float = 1.0,
                 clip: float | None = None, images: list[str] | None = None):
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        self.channels = [JetImageChain(paths, key) for key in (images or [None])]
        self.file = self.channels[0]
        for chain in self.channels[1:]:
            if chain.image_shape != self.file.image_shape:
                raise DataError(f"{chain.files[0].path}: {chain.files[0].images_key} images are "
                                f"{chain.image_shape}, {self.file.files[0].images_key} images {self.file.image_shape}")
        self.class_names = list(self.file.class_names)
        self.normalise, self.scale, self.clip = normalise, scale, clip
        self.in_channels, self.image_shape = len(self.channels), tuple(self.file.image_shape)

    @classmethod
    def from_config(cls, cfg: DataConfig) -> "JetImageDataset":
        """The jet file(s) of ``data.file`` with the normalisation options and ``data.jet_images``."""
        return cls(cfg.paths(), cfg.normalise, cfg.scale, cfg.clip, cfg.jet_images)

    def __len__(self) -> int:
        return len(self.file)

    def labels(self) -> np.ndarray:
        return np.asarray(self.file.labels, dtype=np.int64)

    def __getitem__(self, i: int) -> dict:
        return self._item(np.concatenate([c.images(i, i + 1) for c in self.channels]), int(self.file.labels[i]), i)

    reads_batches = True         # the loader reads whole batches (read_batch): one read, not one per jet

    def read_batch(self, entries: list[int]) -> dict:
        """The batch of ``entries``: image (B, C, H, W) normalised like single entries, label (B,), entry (B,)."""
        index = np.asarray(entries, np.int64)
        stacked = np.stack([c.take(index) for c in self.channels], axis=1)
        images = normalise(torch.from_numpy(stacked), self.normalise, self.scale, self.clip)
        return {"image": images, "label": torch.from_numpy(np.asarray(self.file.labels[index], np.int64)),
                "entry": torch.from_numpy(index)}
