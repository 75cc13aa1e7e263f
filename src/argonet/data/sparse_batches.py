"""Sparse segmentation batches read straight from larcv3 pixel ids, never densified.

A batch is a dict:

- ``coords`` (N, 4) int64 = (event in the batch, plane, wire, tick) of every active pixel after
  down-sampling (pixels summed per ``data.downsample`` block; factor 1 keeps the readout's pixels);
- ``features`` (N, 1) float32 charge (normalised as ``data.normalise`` says);
- ``label`` (N,) int64 in {0 background, 1 cosmic, 2 neutrino}, when a label producer is read: the
  label of each charge pixel (background where the label product has none), and of a block the
  highest of its charge pixels' labels (neutrino > cosmic > background), the dense path's rule
  restricted to the pixels that carry charge;
- ``entry`` (B,) the dataset entries; ``shape`` (2,) the (wires, ticks) image size.

A whole batch is read with one range read per run of consecutive entries, as the dense path
does, and rows are in (event, plane, wire, tick) order. Random flips mirror the ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from argonet.data.datasets import PlaneImageDataset, _labels_at
from argonet.data.transforms import downsample_voxels, downsampled_shape, normalise
from argonet.errors import ConfigError, DataError

SEGMENTATION_CLASSES = ("background", "cosmic", "neutrino")


class SparseSegmentationDataset(PlaneImageDataset):
    """Sparse batches (module docstring) of charge and, with ``labels``, per-pixel classes."""

    reads_batches = True
    class_names = SEGMENTATION_CLASSES

    def __init__(self, files, *, labels: str | None = "sbnd_cosmicseg", label_values: Sequence[int] = (0, 1, 2),
                 **kwargs):
        if kwargs.get("crop") is not None:
            raise ConfigError("data.crop", "sparse batches hold whole readouts; use no crop (a sparse network "
                              "costs what the active pixels cost, not the image size)")
        super().__init__(files, **kwargs)
        self.labels = None
        if labels is not None:
            self._set_labels(labels, label_values)

    @staticmethod
    def _config_options(cfg) -> dict:
        return dict(labels=cfg.labels, label_values=cfg.label_values)

    def __getitem__(self, entry: int) -> dict:
        return self.read_batch([entry])

    def read_batch(self, entries: Sequence[int]) -> dict:
        """The sparse batch of ``entries`` (module docstring)."""
        entries = np.asarray(entries, dtype=np.int64)
        block, slots, rows, where = self._read_charge(entries)
        if self.labels is not None:
            lblock, _, lrows, lwhere = self._read(self.labels, entries)
            stored = self._canonical(lblock, lwhere)
        flips = self._flips(len(entries))
        parts = []
        for e in range(len(block)):
            for c, r in enumerate(rows[e]):
                lo, hi = block.voxel_offsets[r], block.voxel_offsets[r + 1]
                ids, shape = block.index[lo:hi].astype(np.int64), tuple(int(n) for n in block.shape[r])
                if ids.size and (ids.min() < 0 or ids.max() >= shape[0] * shape[1]):
                    raise DataError(f"{where(e)}: plane {self.plane_ids[c]} has pixel ids outside its image of "
                                    f"shape {shape}")
                small = downsampled_shape(shape, self.factors)
                if small[0] > self.full_shape[0] or small[1] > self.full_shape[1]:
                    raise DataError(f"{where(e)}: plane {self.plane_ids[c]} of shape {shape} does not fit the "
                                    f"image shape {self.full_shape} of the dataset (down-sampled by {self.factors})")
                label = None
                if self.labels is not None:
                    lr = lrows[e, c]                    # both blocks hold the entries in the same order
                    if tuple(lblock.shape[lr]) != tuple(block.shape[r]):
                        raise DataError(f"{lwhere(e)}: plane {self.plane_ids[c]} labels have shape "
                                        f"{tuple(lblock.shape[lr].tolist())} but the charge has {shape}")
                    llo, lhi = lblock.voxel_offsets[lr], lblock.voxel_offsets[lr + 1]
                    label = _labels_at(ids, lblock.index[llo:lhi].astype(np.int64), stored[llo:lhi])
                values = block.value[lo:hi]
                if self.factors != (1, 1) or (ids.size > 1 and not (ids[1:] > ids[:-1]).all()):
                    ids, values, label = downsample_voxels(ids, shape, self.factors, values, label)
                wire, tick = np.divmod(ids, small[1])
                if flips is not None and flips[slots[e], 0]:
                    wire = self.full_shape[0] - 1 - wire
                if flips is not None and flips[slots[e], 1]:
                    tick = self.full_shape[1] - 1 - tick
                parts.append((slots[e], c, wire, tick, values, label))
        parts.sort(key=lambda p: (p[0], p[1]))
        n = np.array([len(p[2]) for p in parts], dtype=np.int64)
        coords = np.empty((int(n.sum()), 4), dtype=np.int64)
        coords[:, 0] = np.repeat([p[0] for p in parts], n)
        coords[:, 1] = np.repeat([p[1] for p in parts], n)
        coords[:, 2] = np.concatenate([p[2] for p in parts]) if parts else []
        coords[:, 3] = np.concatenate([p[3] for p in parts]) if parts else []
        values = np.concatenate([p[4] for p in parts]).astype(np.float32) if parts else np.zeros(0, np.float32)
        batch = {"coords": torch.from_numpy(coords),
                 "features": normalise(torch.from_numpy(values[:, None].copy()), self.normalise, self.scale,
                                       self.clip),
                 "entry": torch.from_numpy(entries.copy()), "shape": torch.tensor(self.full_shape)}
        if self.labels is not None:
            batch["label"] = torch.from_numpy(np.concatenate([p[5] for p in parts]).astype(np.int64) if parts
                                              else np.zeros(0, np.int64))
        return batch
