"""Several larcv3 files read as one dataset: global entry numbers, batches across file boundaries."""

from __future__ import annotations

import bisect
import operator
import os
from collections.abc import Sequence

import numpy as np

from argonet.errors import FormatError
from argonet.event import Event, ImageMeta, SparseImage, Truth
from argonet.io.larcv3_batch import SparseBatch
from argonet.io.larcv3_read import Larcv3File

MAX_OPEN_FILES = 8     # HDF5 handles (and their chunk caches) a chain keeps open at once


class Larcv3Chain:
    """Several larcv3 files read as one dataset with global entry numbers."""

    def __init__(self, paths: Sequence[str | os.PathLike]):
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        if not paths:
            raise FormatError("no files given to the chain")
        self.files = []
        for p in paths:
            try:
                self.files.append(Larcv3File(p))
            except FormatError:
                for f in self.files:
                    f.close()
                raise
            self.files[-1].close()         # reopened lazily, at most MAX_OPEN_FILES at a time
        self._recent: list[int] = []
        self._ends = np.cumsum([len(f) for f in self.files]).tolist()
        common = [{(t, p) for t, ps in f.products.items() for p in ps} for f in self.files]
        shared = set.intersection(*common)
        self.products = {t: sorted(p for tt, p in shared if tt == t) for t in sorted({t for t, _ in shared})}

    def __len__(self) -> int:
        """Total number of events."""
        return self._ends[-1]

    def locate(self, entry: int) -> tuple[Larcv3File, int]:
        """The file holding a global entry and the entry number inside it."""
        entry = operator.index(entry)
        if not -len(self) <= entry < len(self):
            raise FormatError(f"entry {entry} is past the end of the chain ({len(self)} entries)",
                              file=str(self.files[0].path))
        entry %= len(self)
        k = bisect.bisect_right(self._ends, entry)
        return self._use(k), entry - (self._ends[k - 1] if k else 0)

    def _use(self, k: int) -> Larcv3File:
        """File k, closing the least recently used files beyond MAX_OPEN_FILES."""
        if k in self._recent:
            self._recent.remove(k)
        self._recent.append(k)
        while len(self._recent) > MAX_OPEN_FILES:
            self.files[self._recent.pop(0)].close()
        return self.files[k]

    @property
    def event_ids(self) -> np.ndarray:
        """(n, 3) int64 run, subrun, event of every entry of the chain."""
        return np.concatenate([f.event_ids for f in self.files])

    def sparse2d_range(self, producer: str, start: int, stop: int) -> SparseBatch:
        """Entries start..stop (global) of a sparse2d product, across file boundaries."""
        start, stop = operator.index(start), operator.index(stop)
        if not 0 <= start <= stop <= len(self):
            raise FormatError(f"entries {start}:{stop} are outside 0:{len(self)}", file=str(self.files[0].path),
                              product=f"sparse2d/{producer}")
        parts, base = [], 0
        for k, end in enumerate(self._ends):
            lo, hi = max(start, base), min(stop, end)
            if lo < hi:
                parts.append(self._use(k).sparse2d_range(producer, lo - base, hi - base))
            base = end
        batch = SparseBatch.concat(parts) if parts else self.files[0].sparse2d_range(producer, 0, 0)
        batch.start = start
        return batch

    def sparse2d_pixel_counts(self, producer: str, projections: Sequence[int]) -> np.ndarray:
        """See Larcv3File.sparse2d_pixel_counts; one count per global entry."""
        return np.concatenate([self._use(k).sparse2d_pixel_counts(producer, projections)
                               for k in range(len(self.files))])

    def _at(self, method: str, entry: int, *args, **kwargs):
        f, local = self.locate(entry)
        return getattr(f, method)(*args, local, **kwargs)

    def sparse2d(self, producer: str, entry: int) -> list[SparseImage]:
        """See Larcv3File.sparse2d; ``entry`` is global."""
        return self._at("sparse2d", entry, producer)

    def sparse3d(self, producer: str, entry: int) -> list[SparseImage]:
        """See Larcv3File.sparse3d."""
        return self._at("sparse3d", entry, producer)

    def cluster2d(self, producer: str, entry: int) -> list[list[SparseImage]]:
        """See Larcv3File.cluster2d."""
        return self._at("cluster2d", entry, producer)

    def cluster3d(self, producer: str, entry: int) -> list[list[SparseImage]]:
        """See Larcv3File.cluster3d."""
        return self._at("cluster3d", entry, producer)

    def image2d(self, producer: str, entry: int) -> list[tuple[ImageMeta, np.ndarray]]:
        """See Larcv3File.image2d."""
        return self._at("image2d", entry, producer)

    def particles(self, producer: str, entry: int) -> np.ndarray:
        """See Larcv3File.particles."""
        return self._at("particles", entry, producer)

    def particles_raw(self, producer: str, entry: int) -> np.ndarray:
        """See Larcv3File.particles_raw."""
        return self._at("particles_raw", entry, producer)

    def truth(self, entry: int) -> Truth | None:
        """See Larcv3File.truth."""
        f, local = self.locate(entry)
        return f.truth(local)

    def event(self, entry: int, **products) -> Event:
        """See Larcv3File.event."""
        f, local = self.locate(entry)
        return f.event(local, **products)

    def close(self) -> None:
        """Release every HDF5 handle."""
        for f in self.files:
            f.close()

    def __enter__(self) -> "Larcv3Chain":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
