"""Image transforms for wire-plane images, on dense arrays and directly on sparse pixel ids.

Conventions (as stored in larcv3): a plane image has shape ``(n_wires, n_ticks)``; axis -2 is
the wire axis, axis -1 the drift (time) axis. A stack of planes is ``(C, n_wires, n_ticks)``
with one channel per projection; planes are never mixed.

Down-sampling sums the charge of ``f_wire × f_tick`` pixels (total charge is conserved; the
CosmicTagger averages instead, which is the same up to the constant ``1 / (f_wire f_tick)``).
Labels are down-sampled with the *maximum* label of the block, on argonet's canonical numbering
(0 background < 1 cosmic < 2 neutrino), so a block touched by a neutrino pixel is neutrino and a
block with a cosmic and background pixels is cosmic: the rule the CosmicTagger applies through
larcv3's ``Downsample`` pre-processor with ``PoolType = 2`` (max) on ``sbnd_cosmicseg``.
Images whose size is not a multiple of the factor are zero-padded up to the next multiple.

Flips (augmentation) act on every plane of an event at once and never exchange planes:

* ``drift``: mirrors the time axis. For the SBND/CosmicTagger layout (two TPCs back to back,
  cathode at the image centre, lartpc-physics.md §1.6) this is the detector's own mirror
  symmetry x → −x, identical on all planes: physically exact. For a single-TPC image
  (anode at one edge) it is only approximate: it inverts the growth of diffusion and
  attenuation with drift distance.
* ``wire``: mirrors each plane's wire-pitch coordinate. On the collection plane this reverses
  the beam direction (z → −z), which changes the forward boost of neutrino events; on the
  induction planes it is a different reflection per plane, so the three views no longer
  describe one 3-D event. Fine for per-pixel segmentation, off by default for classifiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
import math

import numba
import numpy as np
import torch

from argonet.conf.data import int_pair
from argonet.errors import ConfigError, DataError
from argonet.event import ImageMeta, SparseImage

Factors = tuple[int, int]
Shape = tuple[int, int]

#: axis names of a plane image → axis index counted from the end
FLIP_AXES: dict[str, int] = {"wire": -2, "drift": -1}
NORMALISATIONS = ("none", "log1p", "scale")


# --- down-sampling -------------------------------------------------------------------------------

def as_factors(downsample: int | Sequence[int], field: str = "downsample") -> Factors:
    """(wire, tick) down-sampling factors from an int or a pair; each >= 1."""
    return int_pair(downsample, field, 1)


def downsampled_shape(shape: Sequence[int], factors: Factors) -> Shape:
    """Image shape after down-sampling (padded up to a whole block)."""
    return math.ceil(shape[0] / factors[0]), math.ceil(shape[1] / factors[1])


def downsample_ids(index: np.ndarray, shape: Sequence[int], factors: Factors) -> np.ndarray:
    """Flat ids of the down-sampled pixel each full-resolution pixel falls into (int64, may repeat)."""
    ids = index.astype(np.int64, copy=False)
    if factors == (1, 1):
        return ids
    n_ticks = int(shape[1])
    wire, tick = np.divmod(ids, n_ticks)
    return (wire // factors[0]) * math.ceil(n_ticks / factors[1]) + tick // factors[1]


def downsample_meta(meta: ImageMeta, factors: Factors) -> ImageMeta:
    """Meta of the down-sampled image: same origin and pixel pitch × factor (padding widens it)."""
    shape = downsampled_shape(meta.shape, factors)
    pitch = meta.pixel_cm
    size = (shape[0] * factors[0] * pitch[0], shape[1] * factors[1] * pitch[1])
    return replace(meta, shape=shape, size_cm=size)


def downsample_voxels(index: np.ndarray, shape: Sequence[int], factors: Factors, values: np.ndarray,
                      labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Sparse down-sampling: (ids ascending over the down-sampled shape, summed values, max labels)."""
    ids = downsample_ids(index, shape, factors)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if not ids.size:
        return ids, values[:0].copy(), None if labels is None else labels[:0].copy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    summed = np.add.reduceat(values[order], starts)
    top = None if labels is None else np.maximum.reduceat(labels[order], starts)
    return ids[starts], summed, top


def downsample_sparse(image: SparseImage, factors: Factors, reduce: str = "sum") -> SparseImage:
    """Sum (charge) or max (labels) of each block, staying sparse: far cheaper than densifying first."""
    if _check_reduce(reduce) == "sum":
        ids, values, _ = downsample_voxels(image.index, image.meta.shape, factors, image.value)
    else:
        ids, _, values = downsample_voxels(image.index, image.meta.shape, factors, image.value, image.value)
    return SparseImage(downsample_meta(image.meta, factors), ids.astype(np.uint64), values.astype(np.float32))


def downsample_dense(image, factors: Factors, reduce: str = "sum"):
    """Block sum (charge) or max (labels) over the last two axes of a numpy array or torch tensor."""
    if factors == (1, 1):
        return image
    *lead, n_w, n_t = image.shape
    out_w, out_t = downsampled_shape((n_w, n_t), factors)
    pad_w, pad_t = out_w * factors[0] - n_w, out_t * factors[1] - n_t
    blocks_shape = (*lead, out_w, factors[0], out_t, factors[1])
    if isinstance(image, torch.Tensor):
        padded = torch.nn.functional.pad(image, (0, pad_t, 0, pad_w)) if pad_w or pad_t else image
        blocks = padded.reshape(blocks_shape)
        return blocks.sum(dim=(-3, -1)) if _check_reduce(reduce) == "sum" else blocks.amax(dim=(-3, -1))
    pad = [(0, 0)] * len(lead) + [(0, pad_w), (0, pad_t)]
    blocks = (np.pad(image, pad) if pad_w or pad_t else image).reshape(blocks_shape)
    return _reducer(reduce).reduce(_reducer(reduce).reduce(blocks, axis=-1), axis=-2)


def _check_reduce(reduce: str) -> str:
    """Validate a reduction name."""
    if reduce not in ("sum", "max"):
        raise ConfigError("reduce", f"unknown reduction {reduce!r}", ("sum", "max"))
    return reduce


def _reducer(reduce: str) -> np.ufunc:
    """numpy ufunc of a reduction name."""
    return np.add if _check_reduce(reduce) == "sum" else np.maximum


# --- sparse → dense scatter -------------------------------------------------------------------------

SCATTER_MODES = {"set": 0, "sum": 1, "max": 2}


@numba.njit(cache=True, nogil=True)
def _scatter_rows(out, index, values, starts, stops, bases, n_ticks, sizes, flips, f_wire, f_tick,
                  out_wires, out_ticks, mode):  # pragma: no cover - compiled
    for r in range(starts.size):
        base, ticks, size = bases[r], n_ticks[r], sizes[r]
        flip_w, flip_t = flips[r, 0], flips[r, 1]
        direct = f_wire == 1 and f_tick == 1 and ticks == out_ticks and not flip_w and not flip_t
        for k in range(starts[r], stops[r]):
            pixel = np.int64(index[k])
            if pixel < 0 or pixel >= size:
                return r
            if direct:
                dest = base + pixel
            else:
                wire = pixel // ticks
                tick = (pixel - wire * ticks) // f_tick
                wire //= f_wire
                if flip_w:
                    wire = out_wires - 1 - wire
                if flip_t:
                    tick = out_ticks - 1 - tick
                dest = base + wire * out_ticks + tick
            if mode == 0:
                out[dest] = values[k]
            elif mode == 1:
                out[dest] += values[k]
            elif values[k] > out[dest]:
                out[dest] = values[k]
    return -1


def scatter_rows(out: np.ndarray, index: np.ndarray, values: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                 bases: np.ndarray, shapes: np.ndarray, flips: np.ndarray, factors: Factors, reduce: str) -> int:
    """Write sparse rows into the flat ``out`` in one pass; returns the first row with an id outside
    its shape (nothing is written past it), or -1.

    Row ``r`` holds voxels ``starts[r]:stops[r]`` of an image of ``shapes[r]`` = (wires, ticks); each
    id is down-sampled by ``factors``, mirrored where ``flips[r]`` = (wire, drift) says, and written
    at ``bases[r] + wire * W + tick`` with (H, W) the down-sampled image shape of ``out``'s last axes.
    ``set`` (unique ids only), ``sum`` or ``max`` say what happens to pixels that meet.
    """
    if reduce not in SCATTER_MODES:
        raise ConfigError("reduce", f"unknown reduction {reduce!r}", SCATTER_MODES)
    mode = "set" if factors == (1, 1) else reduce        # full resolution: ids are unique
    shapes = np.asarray(shapes, dtype=np.int64).reshape(-1, 2)
    return int(_scatter_rows(out.reshape(-1), index, values.astype(out.dtype, copy=False),
                             np.asarray(starts, np.int64), np.asarray(stops, np.int64), np.asarray(bases, np.int64),
                             np.ascontiguousarray(shapes[:, 1]), np.ascontiguousarray(shapes.prod(axis=1)),
                             np.asarray(flips, np.bool_).reshape(-1, 2), factors[0], factors[1],
                             out.shape[-2], out.shape[-1], SCATTER_MODES[mode]))


@numba.njit(cache=True, nogil=True)
def _map_labels(values, lut, out):  # pragma: no cover - compiled
    for k in range(values.size):
        v = values[k]
        if not (v >= 0 and v < lut.size):
            return k
        i = np.int64(v)
        if i != v or lut[i] < 0:
            return k
        out[k] = lut[i]
    return -1


def map_labels(values: np.ndarray, lut: np.ndarray) -> tuple[np.ndarray, int]:
    """Stored label values → ``lut[value]`` (int64); also the first voxel whose value is not an
    integer with a non-negative entry in ``lut`` (-1 when all are valid)."""
    out = np.empty(len(values), dtype=np.int64)
    return out, int(_map_labels(values, np.asarray(lut, np.int64), out))


def densify(image: SparseImage, factors: Factors = (1, 1), reduce: str = "sum",
            dtype=np.float32) -> np.ndarray:
    """One plane as a dense (n_wires', n_ticks') array, down-sampled on the ids before densifying."""
    out = np.zeros(downsampled_shape(image.meta.shape, factors), dtype=dtype)
    bad = scatter_rows(out, image.index, image.value, [0], [len(image.index)], [0], [image.meta.shape],
                       [(False, False)], factors, reduce)
    if bad >= 0:
        raise DataError(f"pixel ids outside the image of shape {image.meta.shape}")
    return out


# --- crop to the box of maximum charge -------------------------------------------------------------------

def max_charge_box(image: np.ndarray, box: Shape) -> tuple[int, int]:
    """Lower corner (wire, tick) of the ``box``-sized window holding the most charge (summed-area table)."""
    n_w, n_t = image.shape
    h, w = min(box[0], n_w), min(box[1], n_t)
    table = np.zeros((n_w + 1, n_t + 1), dtype=np.float64)
    np.cumsum(image, axis=0, dtype=np.float64, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    sums = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]
    i, j = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(i), int(j)


def crop_corners(images: np.ndarray, box: Shape, mode: str = "per_plane") -> list[tuple[int, int]]:
    """Crop corner of each plane of ``images`` (C, H, W): its own box, or one box of the summed planes."""
    if mode == "per_plane":
        return [max_charge_box(plane, box) for plane in images]
    if mode == "common":
        return [max_charge_box(images.sum(axis=0), box)] * len(images)
    raise ConfigError("crop_mode", f"unknown crop mode {mode!r}", ("per_plane", "common"))


def crop(images, corners: Sequence[tuple[int, int]], box: Shape):
    """Cut each plane of ``images`` (C, H, W) at its corner; planes smaller than the box are zero-padded."""
    n_c, n_w, n_t = images.shape
    h, w = min(box[0], n_w), min(box[1], n_t)
    if isinstance(images, torch.Tensor):
        out = images.new_zeros((n_c, box[0], box[1]))
    else:
        out = np.zeros((n_c, box[0], box[1]), dtype=images.dtype)
    for c, (i, j) in enumerate(corners):
        out[c, :h, :w] = images[c, i:i + h, j:j + w]
    return out


def crop_sparse(image: SparseImage, corner: tuple[int, int], box: Shape) -> SparseImage:
    """The pixels of ``image`` inside the box at ``corner``, re-indexed over the box shape."""
    wire, tick = np.divmod(image.index.astype(np.int64), image.meta.shape[1])
    wire, tick = wire - corner[0], tick - corner[1]
    keep = (wire >= 0) & (wire < box[0]) & (tick >= 0) & (tick < box[1])
    pitch = image.meta.pixel_cm
    origin = (image.meta.origin_cm[0] + corner[0] * pitch[0], image.meta.origin_cm[1] + corner[1] * pitch[1])
    meta = replace(image.meta, shape=tuple(box), size_cm=(box[0] * pitch[0], box[1] * pitch[1]), origin_cm=origin)
    return SparseImage(meta, (wire[keep] * box[1] + tick[keep]).astype(np.uint64), image.value[keep])


# --- planes → channels, normalisation ------------------------------------------------------------------------

def planes_to_channels(planes: Sequence[np.ndarray], shape: Shape | None = None) -> np.ndarray:
    """Stack plane images as channels (C, H, W), zero-padding each to the largest (or given) shape."""
    if shape is None:
        shape = (max(p.shape[0] for p in planes), max(p.shape[1] for p in planes))
    if all(p.shape == tuple(shape) for p in planes):
        return np.stack(planes)
    out = np.zeros((len(planes), *shape), dtype=planes[0].dtype)
    for c, plane in enumerate(planes):
        h, w = min(plane.shape[0], shape[0]), min(plane.shape[1], shape[1])
        out[c, :h, :w] = plane[:h, :w]
    return out


def normalise(image, mode: str = "none", scale: float = 1.0, clip: float | None = None):
    """Compress the charge range, in place: ``log1p`` (sign kept, for bipolar induction) or ``scale`` then clip."""
    if mode == "none":
        return image
    torch_in = isinstance(image, torch.Tensor)
    if mode == "log1p":
        if torch_in:
            return image.copy_(torch.sign(image) * torch.log1p(image.abs()))
        np.copyto(image, np.sign(image) * np.log1p(np.abs(image)))
        return image
    if mode == "scale":
        image *= scale
        if clip is not None:
            if torch_in:
                image.clamp_(-clip, clip)
            else:
                np.clip(image, -clip, clip, out=image)
        return image
    raise ConfigError("normalise", f"unknown normalisation {mode!r}", NORMALISATIONS)


# --- flips -----------------------------------------------------------------------------------------------------------

def flip(image, axes: Sequence[str]):
    """Mirror a plane stack along the named axes ("wire", "drift"); the same flip for every plane."""
    dims = tuple(_flip_axis(a) for a in axes)
    if not dims:
        return image
    if isinstance(image, torch.Tensor):
        return image.flip(dims)
    return np.ascontiguousarray(np.flip(image, axis=dims))


def flip_ids(index: np.ndarray, shape: Sequence[int], axes: Sequence[str]) -> np.ndarray:
    """Flat ids of the mirrored pixels (int64), for sparse images; order is not preserved."""
    wire, tick = np.divmod(index.astype(np.int64), shape[1])
    for a in axes:
        if _flip_axis(a) == -2:
            wire = shape[0] - 1 - wire
        else:
            tick = shape[1] - 1 - tick
    return wire * shape[1] + tick


def random_flip_axes(axes: Sequence[str], probability: float, generator: torch.Generator | None = None) -> list[str]:
    """Which of ``axes`` to flip for one event, each independently with ``probability`` (torch RNG,
    so DataLoader workers get distinct, reproducible streams)."""
    draws = torch.rand(len(axes), generator=generator)
    return [a for a, u in zip(axes, draws.tolist()) if u < probability]


def _flip_axis(name: str) -> int:
    """Axis index of a flip name."""
    if name not in FLIP_AXES:
        raise ConfigError("augment", f"unknown flip axis {name!r}", FLIP_AXES)
    return FLIP_AXES[name]


def prediction_images(charge: list[SparseImage], predicted: np.ndarray, factors: tuple[int, int],
                      stored: np.ndarray) -> list[SparseImage]:
    """Per plane, the charge pixels with the stored label value of the down-sampled pixel each falls in.

    ``predicted`` (P, h, w) class indices of the planes in ``charge`` order; ``stored[k]`` the value
    written for class k.
    """
    out = []
    for plane, image in enumerate(charge):
        wire, tick = np.divmod(np.asarray(image.index, dtype=np.int64), int(image.meta.shape[1]))
        classes = predicted[plane, wire // factors[0], tick // factors[1]]
        out.append(SparseImage(image.meta, np.asarray(image.index), stored[classes].astype(np.float32)))
    return out
