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

from argonet.data.datasets import PlaneImageDataset, _labels_at
from argonet.data.transforms import crop_corners, normalise
from argonet.errors import DataError

SEGMENTATION_CLASSES = ("background", "cosmic", "neutrino")


def _gather(lo: np.ndarray, hi: np.ndarray) -> slice | np.ndarray:
    """Positions of the voxel ranges ``lo[k]:hi[k]`` one after the other: a slice when they follow each other."""
    if len(lo) == 0 or bool(np.all(lo[1:] == hi[:-1])):
        return slice(int(lo[0]), int(hi[-1])) if len(lo) else slice(0, 0)
    counts = hi - lo
    return np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))


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
        take = _gather(lo, hi)
        counts = hi - lo
        shapes = block.shape[flat]

        def locate(r: int) -> tuple[str, int]:
            return where(int(by_slot[r // n_c])), self.plane_ids[r % n_c]

        ids = block.index[take].astype(np.int64)
        values = np.ascontiguousarray(block.value[take], dtype=np.float32)
        row_of = np.repeat(np.arange(len(flat)), counts)
        outside = (ids < 0) | (ids >= np.repeat(shapes.prod(axis=1), counts))
        if outside.any():
            at, plane = locate(int(row_of[np.argmax(outside)]))
            raise DataError(f"{at}: plane {plane} has pixel ids outside its image of shape "
                            f"{tuple(shapes[row_of[np.argmax(outside)]].tolist())}")
        small = -(-shapes // np.asarray(self.factors))
        too_big = (small > np.asarray(self.full_shape)).any(axis=1)
        if too_big.any():
            r = int(np.argmax(too_big))
            at, plane = locate(r)
            raise DataError(f"{at}: plane {plane} of shape {tuple(shapes[r].tolist())} does not fit the image "
                            f"shape {self.full_shape} of the dataset (down-sampled by {self.factors})")
        label = self._pixel_labels(entries, by_slot, shapes, ids, counts) if self.labels is not None else None
        row_of, wire, tick, values, label = self._downsample(row_of, ids, shapes, small, counts, values, label)
        flips = self._flips(len(entries))
        if flips is not None:
            row_flips = flips[row_of // n_c]
            wire = np.where(row_flips[:, 0], self.full_shape[0] - 1 - wire, wire)
            tick = np.where(row_flips[:, 1], self.full_shape[1] - 1 - tick, tick)
        if self.crop_box is not None:
            row_of, wire, tick, values, label = self._crop(len(entries), row_of, wire, tick, values, label)
        coords = np.empty((len(row_of), 4), dtype=np.int64)
        np.floor_divide(row_of, n_c, out=coords[:, 0])
        np.remainder(row_of, n_c, out=coords[:, 1])
        coords[:, 2], coords[:, 3] = wire, tick
        batch = {"coords": torch.from_numpy(coords),
                 "features": normalise(torch.from_numpy(values.reshape(-1, 1)), self.normalise, self.scale, self.clip),
                 "entry": torch.from_numpy(entries.copy()), "shape": torch.tensor(self.image_shape)}
        if label is not None:
            batch["label"] = torch.from_numpy(label.astype(np.int64))
        return batch

    def _pixel_labels(self, entries: np.ndarray, by_slot: np.ndarray, shapes: np.ndarray, ids: np.ndarray,
                      counts: np.ndarray) -> np.ndarray:
        """Canonical label (0, 1, 2) of every charge pixel (``ids``, ``counts`` per output row of ``shapes``)."""
        lblock, _, lrows, lwhere = self._read(self.labels, entries)    # both blocks hold the entries in one order
        lflat = lrows[by_slot].reshape(-1)
        differ = (lblock.shape[lflat] != shapes).any(axis=1)
        if differ.any():
            r, n_c = int(np.argmax(differ)), self.in_channels
            raise DataError(f"{lwhere(int(by_slot[r // n_c]))}: plane {self.plane_ids[r % n_c]} labels have shape "
                            f"{tuple(lblock.shape[lflat[r]].tolist())} but the charge has {tuple(shapes[r].tolist())}")
        stored = self._canonical(lblock, lwhere)
        llo, lhi = lblock.voxel_offsets[lflat], lblock.voxel_offsets[lflat + 1]
        ltake = _gather(llo, lhi)
        if np.array_equal(lhi - llo, counts) and np.array_equal(lblock.index[ltake], ids):
            return stored[ltake]                                        # the usual file: the same pixels
        starts = np.concatenate(([0], np.cumsum(counts)))
        return np.concatenate([_labels_at(ids[starts[r]:starts[r + 1]], lblock.index[llo[r]:lhi[r]].astype(np.int64),
                                          stored[llo[r]:lhi[r]]) for r in range(len(lflat))] or [np.zeros(0, np.int64)])

    def _downsample(self, row_of: np.ndarray, ids: np.ndarray, shapes: np.ndarray, small: np.ndarray,
                    counts: np.ndarray, values: np.ndarray, label: np.ndarray | None) -> tuple:
        """(row, wire, tick, charge, label) of the down-sampled pixels of the whole batch, ascending per row:
        charge summed and the highest label per block (pixels met twice at factor 1 are summed too)."""
        ticks = shapes[:, 1]
        uniform = bool(np.all(ticks == ticks[0])) if len(ticks) else True
        wire, tick = np.divmod(ids, int(ticks[0]) if uniform and len(ticks) else np.repeat(ticks, counts))
        new_row = np.r_[True, row_of[1:] != row_of[:-1]]
        if not len(ids) or (self.factors == (1, 1) and bool(np.all((np.diff(ids) > 0) | new_row[1:]))):
            return row_of, wire, tick, values, label                     # ascending, no pixel twice
        small_ticks, size = np.repeat(small[:, 1], counts), int(small.prod(axis=1).max(initial=1))
        key = row_of * size + (wire // self.factors[0]) * small_ticks + tick // self.factors[1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        row_of = row_of[order][starts]
        summed = np.add.reduceat(values[order], starts)
        top = None if label is None else np.maximum.reduceat(label[order], starts)
        wire, tick = np.divmod(key[starts] - row_of * size, small_ticks[order][starts])
        return row_of, wire, tick, summed, top

    def _crop(self, n_events: int, row_of: np.ndarray, wire: np.ndarray, tick: np.ndarray, values: np.ndarray,
              label: np.ndarray | None) -> tuple:
        """The pixels inside each plane's crop box, relative to it (the dense path's ``_finish`` box)."""
        n_c, box = self.in_channels, self.crop_box
        corners = np.zeros((n_events * n_c, 2), dtype=np.int64)
        image = np.zeros((n_c, *self.full_shape), dtype=np.float32)
        bounds = np.searchsorted(row_of, np.arange(0, (n_events + 1) * n_c, n_c))
        for b in range(n_events):
            part = slice(bounds[b], bounds[b + 1])
            image.fill(0)
            image[row_of[part] - b * n_c, wire[part], tick[part]] = values[part]
            corners[b * n_c:(b + 1) * n_c] = crop_corners(image, box, self.crop_mode)
        wire, tick = wire - corners[row_of, 0], tick - corners[row_of, 1]
        keep = (wire >= 0) & (wire < box[0]) & (tick >= 0) & (tick < box[1])
        return row_of[keep], wire[keep], tick[keep], values[keep], None if label is None else label[keep]
