"""Torch datasets over larcv3 files (other layouts: ``argonet.data.image_files``).

Dense datasets read whole batches at once with ``read_batch(entries)`` (see ``collate``); a
single item is a batch of one. Images are ``(C, H, W)`` float32 with one channel per wire plane
(projection), ``H`` along the wires and ``W`` along the drift (larcv3's (n_wires, n_ticks)
order, no transpose), down-sampled by summing and then optionally cropped to the box of
maximum charge. Metadata the model builder reads: ``in_channels``, ``image_shape``,
``class_names``.
"""

from __future__ import annotations

from collections.abc import Sequence
import copy
import os

import numpy as np
import torch
from torch.utils.data import Dataset

from argonet.conf.data import LABEL_DTYPES, DataConfig
from argonet.data.collate import alloc_zeros, collate_sparse, projection_rows, read_block, scatter_batch
from argonet.data.transforms import (as_factors, crop, crop_corners, downsample_voxels, downsampled_shape,
                                     map_labels, normalise, random_flip_axes)
from argonet.errors import ConfigError, DataError, FormatError
from argonet.event import EVENT_CLASSES, PARTICLE_DTYPE
from argonet.io import LARCV_PARTICLE_DTYPE, Larcv3Chain, SparseBatch

SEGMENTATION_CLASSES = ("background", "cosmic", "neutrino")


def _paths(files: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """A list of file names from one name or several."""
    return [str(files)] if isinstance(files, (str, os.PathLike)) else [str(f) for f in files]


class PlaneImageDataset(Dataset):
    """Charge images of every entry of larcv3 files: ``{"image": (C, H, W) float32, "entry"}``.

    Args:
        files: larcv3 file(s), read as one chain.
        charge: sparse2d producer of the charge.
        planes: projection ids kept as channels, in order (default: all of the first event).
        downsample: pixels summed per output pixel, an int or (wire, tick).
        crop: (wires, ticks) box of maximum charge cut after down-sampling, or None.
        crop_mode: ``per_plane`` (each plane its own box) or ``common``.
        normalise, scale, clip: charge normalisation (see transforms.normalise).
        augment: flips ("wire", "drift") drawn per event with ``flip_probability``.
        allow_empty: accept events without a single charge pixel (DataError otherwise).
    """

    reads_batches = True       # ``read_batch`` reads a whole batch in one pass (see loader.build_loader)

    def __init__(self, files, *, charge: str = "sbndwire", planes: Sequence[int] | None = None,
                 downsample: int | Sequence[int] = 1, crop: int | Sequence[int] | None = None,
                 crop_mode: str = "per_plane", normalise: str = "none", scale: float = 1.0,
                 clip: float | None = None, augment: Sequence[str] = (), flip_probability: float = 0.5,
                 allow_empty: bool = False):
        self.reader = Larcv3Chain(_paths(files))
        if len(self.reader) == 0:
            raise DataError(f"{', '.join(_paths(files))}: the file holds no events")
        self.charge = self._product(charge, "data.charge")
        self.factors = as_factors(downsample, "data.downsample")
        self.crop_box = None if crop is None else as_factors(crop, "data.crop")
        self.crop_mode, self.normalise, self.scale, self.clip = crop_mode, normalise, scale, clip
        self.augment, self.flip_probability, self.allow_empty = tuple(augment), flip_probability, allow_empty
        first = self.reader.sparse2d(charge, 0)
        available = [image.meta.projection_id for image in first]
        self.plane_ids = list(available if planes is None else planes)
        for plane in self.plane_ids:
            if plane not in available:
                raise ConfigError("data.planes", f"projection {plane} is not in {self.where(0)}",
                                  [str(p) for p in available])
        shapes = [downsampled_shape(im.meta.shape, self.factors) for im in first
                  if im.meta.projection_id in self.plane_ids]
        self.full_shape = (max(s[0] for s in shapes), max(s[1] for s in shapes))
        self.image_shape = self.crop_box or self.full_shape
        if not allow_empty:
            self._refuse_empty_events()

    def _refuse_empty_events(self) -> None:
        """Empty events found from the index now, not an epoch into training (the batch check stays)."""
        empty = np.flatnonzero(self.reader.sparse2d_pixel_counts(self.charge, self.plane_ids) == 0)
        if len(empty):
            raise DataError(f"{self.where(int(empty[0]))}, product sparse2d/{self.charge}: empty event (no charge "
                            f"pixel on planes {self.plane_ids}; {len(empty)} of {len(self)} events are empty); "
                            "remove them or set data.allow_empty=true")

    @classmethod
    def from_config(cls, cfg: DataConfig, **kwargs) -> "PlaneImageDataset":
        """The dataset a DataConfig describes (keyword arguments override or add options)."""
        options = dict(charge=cfg.charge, planes=cfg.planes, downsample=cfg.factors, crop=cfg.crop_box,
                       crop_mode=cfg.crop_mode, normalise=cfg.normalise, scale=cfg.scale, clip=cfg.clip,
                       augment=cfg.augment, flip_probability=cfg.flip_probability, allow_empty=cfg.allow_empty)
        options.update(cls._config_options(cfg))
        options.update(kwargs)
        return cls(cfg.paths(), **options)

    @staticmethod
    def _config_options(cfg: DataConfig) -> dict:
        """Options of a subclass taken from the config."""
        return {}

    @property
    def in_channels(self) -> int:
        """Number of image channels (wire planes kept)."""
        return len(self.plane_ids)

    def __len__(self) -> int:
        return len(self.reader)

    def __getitem__(self, entry: int) -> dict:
        batch = self.read_batch([entry])
        return {key: value[0] for key, value in batch.items()}

    def without_augment(self) -> "PlaneImageDataset":
        """A copy that reads the same images without random flips (for validation and tests)."""
        other = copy.copy(self)
        other.augment = ()
        return other

    def where(self, entry: int) -> str:
        """'file F, event N' of a global entry, for error messages."""
        f, local = self.reader.locate(int(entry))
        return f"file {f.path}, event {local}"

    def _product(self, producer: str, field: str) -> str:
        """A sparse2d producer present in every file; FormatError listing the ones there otherwise."""
        have = self.reader.products.get("sparse2d", [])
        if producer not in have:
            raise FormatError(f"no sparse2d product {producer!r} ({field})", file=str(self.reader.files[0].path),
                              product=producer, available=have)
        return producer

    def _read(self, producer: str, entries: np.ndarray) -> tuple[SparseBatch, np.ndarray, np.ndarray, object]:
        """Block of a producer for ``entries``: batch, slots, (entry, channel) rows, error locator."""
        block, slots = read_block(self.reader, producer, entries)

        def where(e: int) -> str:
            return f"{self.where(entries[slots[e]])}, product sparse2d/{producer}"

        return block, slots, projection_rows(block, self.plane_ids, where), where

    def _read_charge(self, entries: np.ndarray) -> tuple[SparseBatch, np.ndarray, np.ndarray, object]:
        """``_read`` of the charge, refusing events without a charge pixel unless ``allow_empty``."""
        block, slots, rows, where = self._read(self.charge, entries)
        if not self.allow_empty:
            counts = np.diff(block.voxel_offsets)[rows].sum(axis=1)
            if (counts == 0).any():
                e = int(np.flatnonzero(counts == 0)[0])
                raise DataError(f"{where(e)}: empty event (no charge pixel on planes {self.plane_ids}); "
                                "remove it or set data.allow_empty=true")
        return block, slots, rows, where

    def _set_labels(self, labels: str, label_values: Sequence[int]) -> None:
        """Per-pixel label producer and the stored values of background, cosmic, neutrino."""
        self.labels = self._product(labels, "data.labels")
        self.label_values = tuple(int(v) for v in label_values)
        self._lut = np.full(256, -1, dtype=np.int64)
        self._lut[list(self.label_values)] = np.arange(3)

    def _canonical(self, block: SparseBatch, where) -> np.ndarray:
        """Stored label values → 0 background, 1 cosmic, 2 neutrino; DataError on any other value."""
        mapped, voxel = map_labels(block.value, self._lut)
        if voxel >= 0:
            row = int(np.searchsorted(block.voxel_offsets, voxel, side="right")) - 1
            e = int(np.searchsorted(block.event_offsets, row, side="right")) - 1
            raise DataError(f"{where(e)}: label value {block.value[voxel]:g} is not one of {list(self.label_values)} "
                            "(stored values of background, cosmic, neutrino: data.label_values)")
        return mapped

    def _flips(self, n: int) -> np.ndarray | None:
        """(n, 2) random (wire, drift) flips, one draw per event, or None without augmentation."""
        if not self.augment:
            return None
        flips = np.zeros((n, 2), dtype=bool)
        for b in range(n):
            for axis in random_flip_axes(self.augment, self.flip_probability):
                flips[b, 0 if axis == "wire" else 1] = True
        return flips

    def _charge(self, entries: np.ndarray, flips: np.ndarray | None) -> tuple[torch.Tensor, SparseBatch, np.ndarray]:
        """The (B, C, H, W) charge of ``entries`` (full shape, before cropping), and its block rows."""
        block, slots, rows, where = self._read_charge(entries)
        images = alloc_zeros((len(entries), self.in_channels, *self.full_shape), np.float32)
        scatter_batch(images.numpy(), block, slots, rows, self.factors, "sum", flips=flips, where=where)
        return images, block, rows

    def read_batch(self, entries: Sequence[int]) -> dict:
        """A batch: ``image`` (B, C, H, W) float32 and ``entry`` (B,)."""
        entries = np.asarray(entries, dtype=np.int64)
        images, _, _ = self._charge(entries, self._flips(len(entries)))
        return self._finish({"image": images, "entry": torch.as_tensor(entries)})

    def _finish(self, batch: dict, pixel_label: bool = False) -> dict:
        """Crop and normalise; per-pixel labels get the same crop as the image (flips happen on the ids)."""
        image = batch["image"]
        if self.crop_box is not None:
            keys = ["image", "label"] if pixel_label else ["image"]
            cut = {k: alloc_zeros((len(image), self.in_channels, *self.crop_box), batch[k].numpy().dtype) for k in keys}
            for b in range(len(image)):
                corners = crop_corners(image[b].numpy(), self.crop_box, self.crop_mode)
                for k in keys:
                    cut[k][b] = crop(batch[k][b], corners, self.crop_box)
            batch.update(cut)
        normalise(batch["image"], self.normalise, self.scale, self.clip)
        return batch


class SegmentationDataset(PlaneImageDataset):
    """Charge and per-pixel labels: ``{"image": (C, H, W) float32, "label": (C, H, W) int64, "entry"}``.

    Labels are mapped from the stored numbering ``label_values`` (stored value of background,
    cosmic, neutrino) to 0, 1, 2; down-sampled blocks take the highest label (neutrino > cosmic >
    background).
    """

    class_names = SEGMENTATION_CLASSES

    def __init__(self, files, *, labels: str = "sbnd_cosmicseg", label_values: Sequence[int] = (0, 1, 2),
                 label_dtype: str = "int64", **kwargs):
        super().__init__(files, **kwargs)
        self._set_labels(labels, label_values)
        if label_dtype not in LABEL_DTYPES:
            raise ConfigError("data.label_dtype", f"unknown label dtype {label_dtype!r}", LABEL_DTYPES)
        self.label_dtype = np.dtype(label_dtype)

    @staticmethod
    def _config_options(cfg: DataConfig) -> dict:
        return dict(labels=cfg.labels, label_values=cfg.label_values, label_dtype=cfg.label_dtype)

    def read_batch(self, entries: Sequence[int]) -> dict:
        """A batch: ``image`` (B, C, H, W), ``label`` (B, C, H, W) int64 in {0, 1, 2}, ``entry``."""
        entries = np.asarray(entries, dtype=np.int64)
        flips = self._flips(len(entries))
        images, block, rows = self._charge(entries, flips)
        lblock, slots, lrows, where = self._read(self.labels, entries)
        n_planes, n_label_planes = np.diff(block.event_offsets), np.diff(lblock.event_offsets)
        if (n_planes != n_label_planes).any():
            e = int(np.flatnonzero(n_planes != n_label_planes)[0])
            raise DataError(f"{where(e)}: {n_label_planes[e]} label planes but the charge has {n_planes[e]}")
        differ = (block.shape[rows] != lblock.shape[lrows]).any(axis=-1)
        if differ.any():
            e, c = (int(i) for i in np.argwhere(differ)[0])
            raise DataError(f"{where(e)}: plane {self.plane_ids[c]} labels have shape "
                            f"{tuple(lblock.shape[lrows[e, c]].tolist())} but the charge has "
                            f"{tuple(block.shape[rows[e, c]].tolist())}")
        labels = alloc_zeros(images.shape, self.label_dtype)
        scatter_batch(labels.numpy(), lblock, slots, lrows, self.factors, "max",
                      values=self._canonical(lblock, where), flips=flips, where=where)
        return self._finish({"image": images, "label": labels, "entry": torch.as_tensor(entries)}, pixel_label=True)


class ClassificationDataset(PlaneImageDataset):
    """Charge and the event class: ``{"image": (C, H, W) float32, "label": () int64, "entry"}``.

    The class comes from the event truth (``class_source="truth"``) or from a field of the first
    particle of a particle product (``"particle:<field>"``, e.g. ``particle:pdg`` of
    ``sbndneutrino``). ``class_names`` fixes the classes and their order; by default they are the
    classes present in the files (truth classes in ``EVENT_CLASSES`` order, field values sorted).
    """

    def __init__(self, files, *, class_source: str = "truth", particles: str = "sbndneutrino",
                 class_names: Sequence[str] | None = None, **kwargs):
        super().__init__(files, **kwargs)
        raw = [self._class_of(e, class_source, particles) for e in range(len(self))]
        present = sorted(set(raw), key=EVENT_CLASSES.index if class_source == "truth" else float)
        self.class_names = list(present if class_names is None else class_names)
        index = {name: i for i, name in enumerate(self.class_names)}
        unknown = [e for e, name in enumerate(raw) if name not in index]
        if unknown:
            raise DataError(f"{self.where(unknown[0])}: class {raw[unknown[0]]!r} is not one of the configured "
                            f"classes {self.class_names}")
        self.targets = np.array([index[name] for name in raw], dtype=np.int64)

    @staticmethod
    def _config_options(cfg: DataConfig) -> dict:
        return dict(class_source=cfg.class_source, particles=cfg.particles, class_names=cfg.class_names)

    def _class_of(self, entry: int, source: str, producer: str) -> str:
        """Class name of one entry; DataError naming file and event when it has none."""
        if source == "truth":
            truth = self.reader.truth(entry)
            if truth is None:
                raise DataError(f"{self.where(entry)}: no event class stored (argonet truth table); "
                                "use class_source=particle:<field> for files without it")
            return truth.class_name
        field = source.removeprefix("particle:")
        if field in PARTICLE_DTYPE.names:
            rows = self.reader.particles(producer, entry)
        elif field in LARCV_PARTICLE_DTYPE.names:
            rows = self.reader.particles_raw(producer, entry)
        else:
            raise ConfigError("data.class_source", f"unknown particle field {field!r}",
                              sorted(set(PARTICLE_DTYPE.names) | set(LARCV_PARTICLE_DTYPE.names)))
        if not len(rows):
            raise DataError(f"{self.where(entry)}: no particle in product particle/{producer} to take the class from")
        return str(rows[field][0].item())

    def class_counts(self) -> dict[str, int]:
        """Entries per class (to spot imbalance)."""
        return dict(zip(self.class_names, np.bincount(self.targets, minlength=len(self.class_names)).tolist()))

    def read_batch(self, entries: Sequence[int]) -> dict:
        """A batch: ``image`` (B, C, H, W), ``label`` (B,) int64 indexing ``class_names``, ``entry``."""
        entries = np.asarray(entries, dtype=np.int64)
        images, _, _ = self._charge(entries, self._flips(len(entries)))
        return self._finish({"image": images, "label": torch.as_tensor(self.targets[entries]),
                             "entry": torch.as_tensor(entries)})


class SparseDataset(PlaneImageDataset):
    """Non-zero pixels as points: ``coords`` (N, 3) int64 = (plane, wire, tick), ``features`` (N, 1)
    float32, per-point ``label`` (N,) int64 in {0, 1, 2} when a label producer is given, ``entry``.

    Down-sampling, cropping, flips and normalisation act as in the dense datasets, on the ids.
    Use with ``collate_sparse``.
    """

    collate_fn = staticmethod(collate_sparse)
    reads_batches = False

    def __init__(self, files, *, labels: str | None = None, label_values: Sequence[int] = (0, 1, 2), **kwargs):
        super().__init__(files, **kwargs)
        self.labels = None
        if labels is not None:
            self._set_labels(labels, label_values)

    @staticmethod
    def _config_options(cfg: DataConfig) -> dict:
        return dict(labels=cfg.labels, label_values=cfg.label_values)

    def __getitem__(self, entry: int) -> dict:
        entries = np.array([entry], dtype=np.int64)
        block, _, rows, _ = self._read_charge(entries)
        if self.labels is not None:
            lblock, _, lrows, lwhere = self._read(self.labels, entries)
            stored = self._canonical(lblock, lwhere)
        points = []
        for c, r in enumerate(rows[0]):
            lo, hi = block.voxel_offsets[r], block.voxel_offsets[r + 1]
            ids, values, label = block.index[lo:hi], block.value[lo:hi], None
            if self.labels is not None:
                llo, lhi = lblock.voxel_offsets[lrows[0, c]], lblock.voxel_offsets[lrows[0, c] + 1]
                label = _labels_at(ids, lblock.index[llo:lhi], stored[llo:lhi])
            ids, values, label = downsample_voxels(ids, block.shape[r], self.factors, values, label)
            wire, tick = np.divmod(ids, downsampled_shape(block.shape[r], self.factors)[1])
            points.append((np.full(len(ids), c), wire, tick, values, label))
        plane, wire, tick, values = (np.concatenate([p[k] for p in points]) for k in range(4))
        label = np.concatenate([p[4] for p in points]) if self.labels is not None else None
        if self.crop_box is not None:
            dense = np.zeros((self.in_channels, *self.full_shape), np.float32)
            dense[plane, wire, tick] = values
            corners = np.asarray(crop_corners(dense, self.crop_box, self.crop_mode))
            wire, tick = wire - corners[plane, 0], tick - corners[plane, 1]
            keep = (wire >= 0) & (wire < self.crop_box[0]) & (tick >= 0) & (tick < self.crop_box[1])
            plane, wire, tick, values = plane[keep], wire[keep], tick[keep], values[keep]
            label = label[keep] if label is not None else None
        for axis in random_flip_axes(self.augment, self.flip_probability) if self.augment else ():
            if axis == "wire":
                wire = self.image_shape[0] - 1 - wire
            else:
                tick = self.image_shape[1] - 1 - tick
        out = {"coords": torch.from_numpy(np.stack([plane, wire, tick], axis=1).astype(np.int64)),
               "features": normalise(torch.from_numpy(values.astype(np.float32)[:, None]),
                                     self.normalise, self.scale, self.clip),
               "entry": torch.tensor(entry)}
        if label is not None:
            out["label"] = torch.from_numpy(label.astype(np.int64))
        return out


def _labels_at(ids: np.ndarray, label_ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Label of each charge pixel (background where the label product has no such pixel)."""
    if np.array_equal(ids, label_ids):
        return labels
    pos = np.minimum(np.searchsorted(label_ids, ids), max(len(label_ids) - 1, 0))
    found = (label_ids[pos] == ids) if len(label_ids) else np.zeros(len(ids), bool)
    return np.where(found, labels[pos] if len(labels) else 0, 0)
