"""Sparse segmentation batches read straight from larcv3 pixel ids, never densified.

A batch is a dict:

- ``coords`` (N, 4) int64 = (event in the batch, plane, wire, tick) of every active pixel after
  down-sampling (pixels summed per ``data.downsample`` block; factor 1 keeps the readout's pixels)
  and, with ``data.crop``, relative to each plane's crop box;
- ``features`` (N, 1) float32 charge (normalised as ``data.normalise`` says);
- ``label`` (N,) int64 in {0 background, 1 cosmic, 2 neutrino}, when a label producer is read: the
  label of each charge pixel (background where the label product has none), and of a block the
  highest of its charge pixels' labels (neutrino > cosmic > background), the dense path's rule
  restricted to the pixels that carry charge;
- ``entry`` (B,) the dataset entries; ``shape`` (2,) the (wires, ticks) image size (the crop box
  with ``data.crop``).

A whole batch is read with one range read per run of consecutive entries, as the dense path
does, and every step after it works on the whole batch's pixels at once (no per-event Python
work). Rows are in (event, plane, wire, tick) order; random flips mirror the ids. ``data.crop``
keeps the pixels the dense path keeps: the box of maximum charge (per plane or common) is chosen
on the down-sampled, flipped charge of the event, before normalisation, as there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

import numba

from argonet.data.datasets import PlaneImageDataset, _labels_at
from argonet.data.transforms import crop_corners, normalise
from argonet.errors import DataError
from argonet.io import SparseBatch

SEGMENTATION_CLASSES = ("background", "cosmic", "neutrino")


@numba.njit(cache=True, nogil=True)
def _split_rows(index, value, starts, stops, n_ticks, sizes, n_planes, coords, features):  # pragma: no cover
    """One pass over the voxels of rows ``starts[r]:stops[r]`` (row r = event r // n_planes, plane r % n_planes):
    (event, plane, wire, tick) into ``coords``, the charge into ``features``; returns the first row with an id
    outside its image (-1: none) and whether the ids ascend strictly in every row."""
    k, ascending = 0, True
    for r in range(starts.size):
        ticks, size, prev = n_ticks[r], sizes[r], np.int64(-1)
        event, plane = r // n_planes, r % n_planes
        for i in range(starts[r], stops[r]):
            pixel = np.int64(index[i])
            if pixel < 0 or pixel >= size:
                return r, ascending
            ascending = ascending and pixel > prev
            prev = pixel
            wire = pixel // ticks
            coords[k, 0], coords[k, 1], coords[k, 2], coords[k, 3] = event, plane, wire, pixel - wire * ticks
            features[k, 0] = value[i]
            k += 1
    return -1, ascending


@numba.njit(cache=True, nogil=True)
def _same_pixel_labels(index, lindex, lvalue, lut, starts, stops, lstarts, lstops, out):  # pragma: no cover
    """Canonical labels ``lut[value]`` of label rows holding exactly the pixels of the charge rows, into ``out``;
    returns 0, 1 when a row's label pixels differ from its charge pixels, 2 on a value ``lut`` does not map."""
    k = 0
    for r in range(starts.size):
        if stops[r] - starts[r] != lstops[r] - lstarts[r]:
            return 1
        j = lstarts[r]
        for i in range(starts[r], stops[r]):
            if index[i] != lindex[j]:
                return 1
            v = lvalue[j]
            if not (v >= 0 and v < lut.size) or np.int64(v) != v or lut[np.int64(v)] < 0:
                return 2
            out[k] = lut[np.int64(v)]
            k += 1
            j += 1
    return 0


class SparseSegmentationDataset(PlaneImageDataset):
    """Sparse batches (module docstring) of charge and, with ``labels``, per-pixel classes."""

    reads_batches = True
    class_names = SEGMENTATION_CLASSES

    def __init__(self, files, *, labels: str | None = "sbnd_cosmicseg", label_values: Sequence[int] = (0, 1, 2),
                 **kwargs):
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
        by_slot = np.argsort(slots)                        # block entry of each batch slot
        n_c = self.in_channels
        flat = rows[by_slot].reshape(-1)                   # block row of (slot, plane), in output order
        lo, hi = block.voxel_offsets[flat], block.voxel_offsets[flat + 1]
        shapes = block.shape[flat]
        coords = np.empty((int((hi - lo).sum()), 4), dtype=np.int64)
        features = np.empty((len(coords), 1), dtype=np.float32)
        bad, ascending = _split_rows(block.index, block.value, lo, hi, np.ascontiguousarray(shapes[:, 1]),
                                     shapes.prod(axis=1), n_c, coords, features)
        small = -(-shapes // np.asarray(self.factors))
        too_big = (small > np.asarray(self.full_shape)).any(axis=1)
        if bad >= 0 or too_big.any():
            r = int(bad if bad >= 0 else np.argmax(too_big))
            at = f"{where(int(by_slot[r // n_c]))}: plane {self.plane_ids[r % n_c]}"
            raise DataError(f"{at} has pixel ids outside its image of shape {tuple(shapes[r].tolist())}" if bad >= 0
                            else f"{at} of shape {tuple(shapes[r].tolist())} does not fit the image shape "
                                 f"{self.full_shape} of the dataset (down-sampled by {self.factors})")
        label = self._pixel_labels(entries, by_slot, shapes, block, lo, hi) if self.labels is not None else None
        if self.factors != (1, 1) or not ascending:
            coords, features, label = self._downsample(coords, features, label, small)
        flips = self._flips(len(entries))
        if flips is not None:
            for axis in (0, 1):
                mirror = flips[coords[:, 0], axis]
                np.subtract(self.full_shape[axis] - 1, coords[:, 2 + axis], out=coords[:, 2 + axis], where=mirror)
        if self.crop_box is not None:
            coords, features, label = self._crop(len(entries), coords, features, label)
        batch = {"coords": torch.from_numpy(coords),
                 "features": normalise(torch.from_numpy(features), self.normalise, self.scale, self.clip),
                 "entry": torch.from_numpy(entries.copy()), "shape": torch.tensor(self.image_shape)}
        if label is not None:
            batch["label"] = torch.from_numpy(label.astype(np.int64, copy=False))
        return batch

    def _pixel_labels(self, entries: np.ndarray, by_slot: np.ndarray, shapes: np.ndarray, block: SparseBatch,
                      lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Canonical label (0, 1, 2) of every charge pixel of ``block`` rows ``lo:hi`` (of ``shapes``), in order."""
        lblock, _, lrows, lwhere = self._read(self.labels, entries)    # both blocks hold the entries in one order
        lflat = lrows[by_slot].reshape(-1)
        differ = (lblock.shape[lflat] != shapes).any(axis=1)
        if differ.any():
            r, n_c = int(np.argmax(differ)), self.in_channels
            raise DataError(f"{lwhere(int(by_slot[r // n_c]))}: plane {self.plane_ids[r % n_c]} labels have shape "
                            f"{tuple(lblock.shape[lflat[r]].tolist())} but the charge has {tuple(shapes[r].tolist())}")
        llo, lhi = lblock.voxel_offsets[lflat], lblock.voxel_offsets[lflat + 1]
        out = np.empty(int((hi - lo).sum()), dtype=np.int64)
        if _same_pixel_labels(block.index, lblock.index, lblock.value, self._lut, lo, hi, llo, lhi, out) == 0:
            return out                                                  # the usual file: the same pixels
        stored = self._canonical(lblock, lwhere)                        # one line naming a value it cannot map
        return np.concatenate([_labels_at(block.index[lo[r]:hi[r]].astype(np.int64),
                                          lblock.index[llo[r]:lhi[r]].astype(np.int64), stored[llo[r]:lhi[r]])
                               for r in range(len(lflat))] or [np.zeros(0, np.int64)])

    def _downsample(self, coords: np.ndarray, features: np.ndarray, label: np.ndarray | None,
                    small: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The down-sampled pixels of the whole batch, ascending per (event, plane): charge summed and the
        highest label per block (pixels met twice at factor 1 are summed too); ``small`` the (rows, 2)
        down-sampled shapes."""
        if not len(coords):
            return coords, features, label
        row_of = coords[:, 0] * self.in_channels + coords[:, 1]
        small_ticks, size = small[row_of, 1], int(small.prod(axis=1).max())
        key = row_of * size + (coords[:, 2] // self.factors[0]) * small_ticks + coords[:, 3] // self.factors[1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        row_of, small_ticks = row_of[order][starts], small_ticks[order][starts]
        out = np.empty((len(starts), 4), dtype=np.int64)
        out[:, 0], out[:, 1] = np.divmod(row_of, self.in_channels)
        out[:, 2], out[:, 3] = np.divmod(key[starts] - row_of * size, small_ticks)
        summed = np.add.reduceat(features[order, 0], starts)[:, None]
        return out, summed, None if label is None else np.maximum.reduceat(label[order], starts)

    def _crop(self, n_events: int, coords: np.ndarray, features: np.ndarray,
              label: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The pixels inside each plane's crop box, relative to it (the dense path's ``_finish`` box)."""
        n_c, box = self.in_channels, self.crop_box
        corners = np.zeros((n_events * n_c, 2), dtype=np.int64)
        image = np.zeros((n_c, *self.full_shape), dtype=np.float32)
        bounds = np.searchsorted(coords[:, 0], np.arange(n_events + 1))
        for b in range(n_events):
            part = coords[bounds[b]:bounds[b + 1]]
            image.fill(0)
            image[part[:, 1], part[:, 2], part[:, 3]] = features[bounds[b]:bounds[b + 1], 0]
            corners[b * n_c:(b + 1) * n_c] = crop_corners(image, box, self.crop_mode)
        coords[:, 2:] -= corners[coords[:, 0] * n_c + coords[:, 1]]
        keep = ((coords[:, 2:] >= 0) & (coords[:, 2:] < np.asarray(box))).all(axis=1)
        return coords[keep], features[keep], None if label is None else label[keep]
