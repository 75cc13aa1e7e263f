"""Active sites of sparse wire-plane images and the rulebooks that connect them.

A ``Grid`` holds the integer coordinates ``(image, y, x)`` of the active sites at one scale,
sorted by their linear key, and caches every rulebook built on them, so that all the layers at
that scale share one neighbour search per kernel size:

- ``rulebook(k)``, ``down_rulebook()``, ``up_rulebook()``: the same as (input row → output row)
  pairs grouped by kernel offset, inactive neighbours left out (what the convolutions run on);
- ``neighbours(k)``: (N, k*k) row of the input site under each offset of a k x k kernel centred
  on each site (row-major offsets, as ``conv2d`` weights), ``N`` where no site is active;
- ``coarser()``: the grid of 2 x 2 cells holding at least one active site, with ``children``
  (Nc, 4) (fine row of each cell's four pixels, ``N`` where inactive) and ``parent`` / ``slot``
  (N,) (coarse row and position 0..3 of every fine site), i.e. the rulebooks of the strided
  down-convolution and of its transposed up-convolution, which restores exactly these sites.

Neighbours are found through the sorted linear keys: a dense key → row map where it fits
(``LOOKUP_MAP_MAX``; built for one search and freed, not kept with the grid), else ``searchsorted``;
keys carry a margin of ``MARGIN_PX`` pixels around each image, so an offset never wraps into the next
row or image. Neighbour tables (and the submanifold rulebooks' input rows) are int32 (half the memory of the
largest index tensors; ``index_select`` and ``index_add_`` take them as they are), every other index
tensor is int64; all are contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from argonet.errors import DataError

#: pixels of empty border in the linear key (half the largest kernel size supported)
MARGIN_PX = 3
#: largest dense key → row map (entries, int32) built for a neighbour search; larger grids binary-search
LOOKUP_MAP_MAX = 1 << 26


@dataclass(frozen=True)
class Rulebook:
    """Pairs (input row ``inputs[i]`` → output row ``outputs[i]``) grouped by kernel offset: ``counts[k]``
    consecutive pairs use offset k."""

    inputs: Tensor
    outputs: Tensor
    counts: tuple[int, ...]


class Grid:
    """Sorted active sites ``coords`` (N, 3) = (image, y, x) of ``n_images`` images of ``shape`` (H, W)."""

    def __init__(self, coords: Tensor, shape: tuple[int, int], n_images: int):
        self.coords, self.shape, self.n_images = coords, (int(shape[0]), int(shape[1])), int(n_images)
        self.row_px = self.shape[1] + 2 * MARGIN_PX
        self.keys = self._keys(coords)
        self._neighbours: dict[int, Tensor] = {}
        self._rulebooks: dict = {}
        self._coarser: Grid | None = None
        self.children: Tensor | None = None      # set on the coarser grid: (Nc, 4) fine rows
        self.parent: Tensor | None = None        # set on this grid by coarser(): (N,) coarse rows
        self.slot: Tensor | None = None          # (N,) 2 * (y % 2) + x % 2

    @classmethod
    def from_coords(cls, coords: Tensor, shape: tuple[int, int], n_images: int) -> tuple["Grid", Tensor]:
        """The grid of unsorted ``coords`` and the order that sorts them; DataError for sites outside
        the images or listed twice."""
        coords = coords.long()
        if coords.ndim != 2 or coords.shape[1] != 3:
            raise DataError(f"sparse coordinates must be (N, 3) = (image, y, x), got shape {tuple(coords.shape)}")
        limits = torch.tensor([n_images, shape[0], shape[1]], device=coords.device)
        outside = ((coords < 0) | (coords >= limits)).any(dim=1)
        if bool(outside.any()):
            site = coords[int(outside.nonzero()[0, 0])].tolist()
            raise DataError(f"sparse site (image, y, x) = {tuple(site)} lies outside {n_images} images of "
                            f"{tuple(shape)} pixels")
        grid = cls(coords, shape, n_images)
        order = torch.argsort(grid.keys)
        grid.keys = grid.keys[order].contiguous()
        grid.coords = coords[order].contiguous()
        if grid.keys.numel() > 1 and bool((grid.keys[1:] == grid.keys[:-1]).any()):
            i = int((grid.keys[1:] == grid.keys[:-1]).nonzero()[0, 0])
            raise DataError(f"sparse site (image, y, x) = {tuple(grid.coords[i].tolist())} is listed twice")
        return grid, order

    def __len__(self) -> int:
        return int(self.coords.shape[0])

    def _keys(self, coords: Tensor) -> Tensor:
        """Linear key of each site in the margin-padded images."""
        rows = self.shape[0] + 2 * MARGIN_PX
        c = coords.long()
        return ((c[:, 0] * rows + c[:, 1] + MARGIN_PX) * self.row_px + c[:, 2] + MARGIN_PX).contiguous()

    def lookup(self, keys: Tensor) -> Tensor:
        """int32 row of each key among the active sites, ``len(self)`` where it is not active: a read of a
        dense key → row map where that map is small enough (``LOOKUP_MAP_MAX``; freed on return), a binary
        search otherwise."""
        n = len(self)
        if n == 0:
            return torch.zeros_like(keys, dtype=torch.int32)
        size = self.n_images * (self.shape[0] + 2 * MARGIN_PX) * self.row_px
        if size <= LOOKUP_MAP_MAX:
            rows = torch.full((size,), n, dtype=torch.int32, device=keys.device)
            rows[self.keys] = torch.arange(n, dtype=torch.int32, device=keys.device)
            return rows[keys].contiguous()
        pos = torch.searchsorted(self.keys, keys).clamp_(max=n - 1)
        return torch.where(self.keys[pos] == keys, pos, torch.full_like(pos, n)).to(torch.int32).contiguous()

    def neighbours(self, kernel: int) -> Tensor:
        """(N, kernel**2) int32 input rows of a same-size ``kernel`` x ``kernel`` convolution (cached; a
        smaller kernel's table is cut out of a larger one's)."""
        if kernel % 2 == 0 or kernel // 2 > MARGIN_PX:
            raise ValueError(f"submanifold kernels are odd and at most {2 * MARGIN_PX + 1} wide, got {kernel}")
        if kernel not in self._neighbours:
            larger = [k for k in self._neighbours if k > kernel]
            if larger:
                k, cut = larger[0], (larger[0] - kernel) // 2
                inner = self._neighbours[k].view(-1, k, k)[:, cut:cut + kernel, cut:cut + kernel]
                self._neighbours[kernel] = inner.reshape(-1, kernel * kernel).contiguous()
            else:
                r = kernel // 2
                d = torch.arange(-r, r + 1, device=self.keys.device)
                offsets = (d[:, None] * self.row_px + d[None, :]).reshape(-1)
                self._neighbours[kernel] = self.lookup(self.keys[:, None] + offsets[None, :])
        return self._neighbours[kernel]

    def coarser(self) -> "Grid":
        """The 2 x 2 down-sampled grid (cached), with the rulebooks between the two scales."""
        if self._coarser is None:
            c = self.coords
            half = torch.stack([c[:, 0], c[:, 1] // 2, c[:, 2] // 2], dim=1)
            shape = (-(-self.shape[0] // 2), -(-self.shape[1] // 2))
            coarse = Grid(half[:0], shape, self.n_images)
            keys, parent = torch.unique(coarse._keys(half), sorted=True, return_inverse=True)
            coarse.keys = keys.contiguous()
            coarse.coords = half.new_zeros((len(keys), 3)).index_copy_(0, parent, half).contiguous()
            self.parent = parent.contiguous()
            self.slot = (2 * (c[:, 1] % 2) + c[:, 2] % 2).contiguous()
            children = torch.full((len(coarse) * 4,), len(self), dtype=torch.long, device=c.device)
            children[self.parent * 4 + self.slot] = torch.arange(len(self), device=c.device)
            coarse.children = children.view(-1, 4).contiguous()
            self._coarser = coarse
        return self._coarser

    def occupancy(self) -> float:
        """Fraction of the images' pixels that are active."""
        return len(self) / max(1, self.n_images * self.shape[0] * self.shape[1])

    def rulebook(self, kernel: int) -> "Rulebook":
        """Pairs of a same-size ``kernel`` x ``kernel`` convolution, the centre offset left out (cached)."""
        key = ("subm", kernel)
        if key not in self._rulebooks:
            n, table = len(self), self.neighbours(kernel).t().contiguous()     # (K, N): offset-major
            table[kernel * kernel // 2] = n
            flat = table.view(-1)
            pairs = (flat < n).nonzero().squeeze(1)
            offset = torch.div(pairs, max(n, 1), rounding_mode="floor")
            counts = torch.bincount(offset, minlength=kernel * kernel).tolist()
            self._rulebooks[key] = Rulebook(flat.index_select(0, pairs), (pairs - offset * n).contiguous(),
                                            tuple(counts))
        return self._rulebooks[key]

    def down_rulebook(self) -> "Rulebook":
        """Pairs (fine site → its 2 x 2 cell) of the strided 2 x 2 convolution, grouped by the position in the cell."""
        if "down" not in self._rulebooks:
            self.coarser()
            order = torch.argsort(self.slot, stable=True)
            counts = tuple(torch.bincount(self.slot, minlength=4).tolist())
            self._rulebooks["down"] = Rulebook(order.contiguous(), self.parent[order].contiguous(), counts)
            self._rulebooks["up"] = Rulebook(self.parent[order].contiguous(), order.contiguous(), counts)
        return self._rulebooks["down"]

    def up_rulebook(self) -> "Rulebook":
        """Pairs (2 x 2 cell → each of its fine sites) of the transposed convolution back onto this grid."""
        self.down_rulebook()
        return self._rulebooks["up"]

    def dense_index(self) -> Tensor:
        """(N,) position of each site in a (n_images, H, W) array flattened."""
        c = self.coords
        return ((c[:, 0] * self.shape[0] + c[:, 1]) * self.shape[1] + c[:, 2]).contiguous()
