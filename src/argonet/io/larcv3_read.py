"""Read larcv3 HDF5 files (and chains of them) entry by entry, without loading whole tables.

``Larcv3File`` checks the layout when opened, reads only the extents rows and table slices an
entry needs, opens its HDF5 handle lazily in each process (so it pickles into DataLoader
workers) and raises only argonet errors: corrupt or inconsistent files give one-line
``FormatError`` messages naming the file, the product and the event.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import operator
from typing import NamedTuple

import h5py
import numpy as np

from argonet.errors import FormatError
from argonet.event import PARTICLE_DTYPE, Event, ImageMeta, SparseImage, Truth
from argonet.io import larcv3_layout as L
from argonet.io.h5chunks import ChunkReader
from argonet.io.h5handle import LazyH5File
from argonet.io.larcv3_batch import (BlockCache, SparseBatch, meta_columns, read_rows, refuse_non_finite,
                                     voxel_columns)

CHUNK_CACHE_BYTES = 16 << 20      # HDF5 chunk cache per open file (tables ChunkReader leaves to h5py)
MAX_COMPRESSION_RATIO = 1100      # deflate cannot shrink data more than ~1032:1 (zlib technical notes)


class _Tables(NamedTuple):
    """The datasets of one product group, validated."""

    levels: tuple[h5py.Dataset, ...]    # extents chain, event level first
    meta: h5py.Dataset | None
    payload: h5py.Dataset
    labels: h5py.Dataset | None         # argonet particle labels, aligned with payload rows


class Larcv3File(LazyH5File):
    """One larcv3 file: random access to entries, batch reads, argonet events.

    Args:
        path: the .h5 file; its layout is checked now (FormatError naming the file otherwise).
    """

    h5_options = {"rdcc_nbytes": CHUNK_CACHE_BYTES}

    def _reset_caches(self) -> None:
        """Table handles and index blocks belong to one HDF5 handle."""
        self._tables_cache: dict[tuple[str, str], _Tables | h5py.Dataset | None] = {}
        self._chunks = ChunkReader()
        self._index = BlockCache(chunks=self._chunks)
        self._event_ids: np.ndarray | None = None

    def _open_and_check(self) -> None:
        """Open the file, check /Events and /Data, list the products."""
        with self._guard():
            h5 = self._file()
            ids = h5.get("Events/event_id")
            if not isinstance(ids, h5py.Dataset) or ids.ndim != 1 or not L.same_layout(ids.dtype, L.EVENT_ID_DTYPE):
                raise FormatError("no valid /Events/event_id table (run, subrun, event): not a larcv3 file",
                                  file=str(self.path))
            self._check_storage(ids)
            self._n = int(ids.shape[0])
            data = h5.get("Data")
            if not isinstance(data, h5py.Group):
                raise FormatError("no /Data group: not a larcv3 file", file=str(self.path))
            products: dict[str, list[str]] = {}
            for name in data:
                parsed = L.parse_group_name(name)
                if parsed is not None:
                    products.setdefault(parsed[0], []).append(parsed[1])
            self.products = {t: sorted(p) for t, p in sorted(products.items())}

    def _check_storage(self, dataset: h5py.Dataset, product: str | None = None) -> None:
        """Refuse a table whose length cannot fit in the bytes it stores (a damaged dataspace)."""
        stored_bytes = dataset.id.get_storage_size()
        if dataset.shape[0] * dataset.dtype.itemsize > MAX_COMPRESSION_RATIO * stored_bytes + 4096:
            raise FormatError(f"{dataset.name} claims {dataset.shape[0]} rows but stores only {stored_bytes} bytes "
                              "(damaged file)", file=str(self.path), product=product)

    def __len__(self) -> int:
        """Number of events."""
        return self._n

    def __repr__(self) -> str:
        return f"Larcv3File({str(self.path)!r}, entries={self._n}, products={self.products})"

    # --- file-level information ---
    @property
    def event_ids(self) -> np.ndarray:
        """(n, 3) int64 run, subrun, event of every entry (labels, not keys: may repeat or be -1)."""
        if self._event_ids is None:
            with self._guard("Events/event_id"):
                rows = self._file()["Events/event_id"][:]
                self._event_ids = np.stack([rows[k].astype(np.int64) for k in ("run", "subrun", "event")], axis=-1)
        return self._event_ids

    @property
    def attrs(self) -> dict[str, object]:
        """Root attributes (argonet_version, argonet_config, ...), text decoded."""
        with self._guard():
            return {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                    for k, v in self._file().attrs.items()}

    @property
    def config(self) -> dict | str | None:
        """The ``argonet_config`` attribute, parsed when it is JSON."""
        text = self.attrs.get("argonet_config")
        if not isinstance(text, str):
            return text
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _entry(self, entry: int, product: str | None = None) -> int:
        """A valid entry number (negative counts from the end); FormatError past the end."""
        try:
            entry = operator.index(entry)
        except TypeError as exc:
            raise FormatError(f"entry must be an integer, got {entry!r}", file=str(self.path), product=product) from exc
        if not -self._n <= entry < self._n:
            raise FormatError(f"entry {entry} is past the end ({self._n} entries)", file=str(self.path),
                              product=product)
        return entry % self._n

    def _tables(self, product_type: str, producer: str) -> _Tables:
        """The validated datasets of a product (cached per process)."""
        key = (product_type, producer)
        h5 = self._file()
        if key in self._tables_cache:
            return self._tables_cache[key]
        name = L.product_key(product_type, producer)
        where = dict(file=str(self.path), product=name)
        group = h5.get(f"Data/{L.group_name(product_type, producer)}")
        if not isinstance(group, h5py.Group):
            available = [L.product_key(t, p) for t, ps in self.products.items() for p in ps]
            raise FormatError("no such product in the file", available=available, **where)
        level_names, payload_name, meta_level = L.TABLES[product_type]
        ndim = 3 if product_type.endswith("3d") else 2
        expected = {"extents": L.EXTENTS_DTYPE, "image_meta": L.image_meta_dtype(ndim), "voxels": L.VOXEL_DTYPE,
                    "images": L.IMAGE_DTYPE, "particles": L.LARCV_PARTICLE_DTYPE}
        datasets = {}
        for table in (*level_names, payload_name, *(["image_meta"] if meta_level is not None else [])):
            ds = group.get(table)
            if not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
                raise FormatError(f"table {table!r} is missing or not 1-D", **where)
            if not L.same_layout(ds.dtype, expected.get(table, L.ID_EXTENTS_DTYPE)):
                raise FormatError(f"table {table!r} has an unexpected dtype {ds.dtype}", **where)
            self._check_storage(ds, name)
            datasets[table] = ds
        if datasets["extents"].shape[0] != self._n:
            raise FormatError(f"extents has {datasets['extents'].shape[0]} rows for {self._n} events", **where)
        labels = h5.get(f"{L.PARTICLE_LABELS_PATH}/{producer}") if product_type == "particle" else None
        if not (isinstance(labels, h5py.Dataset) and labels.ndim == 1
                and labels.shape == datasets[payload_name].shape
                and L.same_layout(labels.dtype, L.PARTICLE_LABEL_DTYPE)):
            labels = None
        tables = _Tables(tuple(datasets[t] for t in level_names), datasets.get("image_meta"),
                         datasets[payload_name], labels)
        self._tables_cache[key] = tables
        return tables

    # --- sparse images ---
    def _sparse_range(self, product_type: str, producer: str, start: int, stop: int) -> SparseBatch:
        """Voxels and metas of entries start..stop with one read per table (files written in order)."""
        name = L.product_key(product_type, producer)
        where = dict(file=str(self.path), product=name, event=start if stop - start == 1 else None)
        with self._guard(name, where["event"]):
            tables = self._tables(product_type, producer)
            ext = self._index.rows(tables.levels[0], start, stop)
            rows, event_offsets = read_rows(tables.levels[1], ext["first"], ext["N"], where, self._index)
            metas, _ = read_rows(tables.meta, ext["first"], ext["N"], where, self._index)
            voxels, voxel_offsets = read_rows(tables.payload, rows["first"], rows["N"], where, chunks=self._chunks)
            projection_id, shape, size_cm, origin_cm = meta_columns(metas, where)
            index, value = voxel_columns(voxels)
            refuse_non_finite(value, where, voxel_offsets, event_offsets, start)
            filled = np.flatnonzero(np.diff(voxel_offsets) > 0)
            n_pixels = np.prod(shape[filled].astype(np.float64), axis=1)
            if len(filled) and bool(np.any(index[voxel_offsets[filled + 1] - 1] >= n_pixels)):
                raise FormatError("voxel ids beyond the image size", **where)
            return SparseBatch(start, projection_id, shape, size_cm, origin_cm, event_offsets, voxel_offsets,
                               index, value)

    def _range(self, start: int, stop: int, product: str) -> tuple[int, int]:
        """A checked entry range 0 <= start <= stop <= len."""
        try:
            start, stop = operator.index(start), operator.index(stop)
        except TypeError as exc:
            raise FormatError(f"entries must be integers, got {start!r}:{stop!r}", file=str(self.path),
                              product=product) from exc
        if not 0 <= start <= stop <= self._n:
            raise FormatError(f"entries {start}:{stop} are outside 0:{self._n}", file=str(self.path), product=product)
        return start, stop

    def sparse2d_pixel_counts(self, producer: str, projections: Sequence[int]) -> np.ndarray:
        """Stored pixels of every entry on ``projections``, from the index tables alone (no voxel is read)."""
        name = L.product_key("sparse2d", producer)
        where = dict(file=str(self.path), product=name)
        with self._guard(name):
            tables = self._tables("sparse2d", producer)
            ext = self._index.rows(tables.levels[0], 0, self._n)
            rows, offsets = read_rows(tables.levels[1], ext["first"], ext["N"], where, self._index)
            metas, _ = read_rows(tables.meta, ext["first"], ext["N"], where, self._index)
            kept = np.where(np.isin(metas["projection_id"], list(projections)), rows["N"].astype(np.int64), 0)
            running = np.concatenate(([0], np.cumsum(kept)))
            return running[offsets[1:]] - running[offsets[:-1]]

    def sparse2d(self, producer: str, entry: int) -> list[SparseImage]:
        """The sparse image of every projection of one entry (ids as stored, increasing)."""
        entry = self._entry(entry, f"sparse2d/{producer}")
        return self._sparse_range("sparse2d", producer, entry, entry + 1).images(0)

    def sparse2d_range(self, producer: str, start: int, stop: int) -> SparseBatch:
        """Entries start..stop of a sparse2d product in flat arrays (see SparseBatch), never densified."""
        start, stop = self._range(start, stop, f"sparse2d/{producer}")
        return self._sparse_range("sparse2d", producer, start, stop)

    def sparse3d(self, producer: str, entry: int) -> list[SparseImage]:
        """The 3-D voxel sets of one entry (meta is a VoxelMeta)."""
        entry = self._entry(entry, f"sparse3d/{producer}")
        return self._sparse_range("sparse3d", producer, entry, entry + 1).images(0)

    def _clusters(self, product_type: str, producer: str, entry: int) -> list[list[SparseImage]]:
        """Instance masks of one entry: [projection][cluster]."""
        name = L.product_key(product_type, producer)
        entry = self._entry(entry, name)
        where = dict(file=str(self.path), product=name, event=entry)
        with self._guard(name, entry):
            tables = self._tables(product_type, producer)
            ext = self._index.rows(tables.levels[0], entry, entry + 1)
            projections, _ = read_rows(tables.levels[1], ext["first"], ext["N"], where, self._index)
            metas, _ = read_rows(tables.meta, ext["first"], ext["N"], where, self._index)
            clusters, cluster_offsets = read_rows(tables.levels[2], projections["first"], projections["N"], where,
                                                  chunks=self._chunks)
            voxels, voxel_offsets = read_rows(tables.payload, clusters["first"], clusters["N"], where,
                                               chunks=self._chunks)
            columns = meta_columns(metas, where)
            index, value = voxel_columns(voxels)
            refuse_non_finite(value, where, voxel_offsets[cluster_offsets], np.array([0, len(projections)]), entry)
            out = []
            for p in range(len(projections)):
                meta = L.make_meta(*(column[p] for column in columns))
                out.append([SparseImage(meta, index[voxel_offsets[c]:voxel_offsets[c + 1]],
                                        value[voxel_offsets[c]:voxel_offsets[c + 1]])
                            for c in range(cluster_offsets[p], cluster_offsets[p + 1])])
            return out

    def cluster2d(self, producer: str, entry: int) -> list[list[SparseImage]]:
        """Instance masks of one entry, [projection][cluster] (clusters are often empty)."""
        return self._clusters("cluster2d", producer, entry)

    def cluster3d(self, producer: str, entry: int) -> list[list[SparseImage]]:
        """3-D instance masks of one entry, [projection][cluster]."""
        return self._clusters("cluster3d", producer, entry)

    def image2d(self, producer: str, entry: int) -> list[tuple[ImageMeta, np.ndarray]]:
        """Dense images of one entry: (meta, float32 array of shape meta.shape) per projection."""
        name = L.product_key("image2d", producer)
        entry = self._entry(entry, name)
        where = dict(file=str(self.path), product=name, event=entry)
        with self._guard(name, entry):
            tables = self._tables("image2d", producer)
            ext = self._index.rows(tables.levels[0], entry, entry + 1)
            rows, _ = read_rows(tables.levels[1], ext["first"], ext["N"], where, self._index)
            metas, _ = read_rows(tables.meta, ext["first"], ext["N"], where, self._index)
            values, offsets = read_rows(tables.payload, rows["first"], rows["N"], where, chunks=self._chunks)
            columns = meta_columns(metas, where)
            out = []
            for p in range(len(rows)):
                meta = L.make_meta(*(column[p] for column in columns))
                if offsets[p + 1] - offsets[p] != int(np.prod(meta.shape)):
                    raise FormatError(f"projection {p} holds {offsets[p + 1] - offsets[p]} values for shape "
                                      f"{meta.shape}", **where)
                out.append((meta, values[offsets[p]:offsets[p + 1]].astype(np.float32).reshape(meta.shape)))
            return out

    # --- particles and truth ---
    def _particle_rows(self, producer: str, entry: int) -> tuple[np.ndarray, np.ndarray | None]:
        """larcv3 particle rows of one entry and, for argonet files, their (semantic, kind) labels."""
        name = L.product_key("particle", producer)
        entry = self._entry(entry, name)
        where = dict(file=str(self.path), product=name, event=entry)
        with self._guard(name, entry):
            tables = self._tables("particle", producer)
            ext = self._index.rows(tables.levels[0], entry, entry + 1)
            rows, _ = read_rows(tables.payload, ext["first"], ext["N"], where, chunks=self._chunks)
            labels = (read_rows(tables.labels, ext["first"], ext["N"], where, chunks=self._chunks)[0]
                      if tables.labels is not None else None)
            return rows, labels

    def particles_raw(self, producer: str, entry: int) -> np.ndarray:
        """The larcv3 particle rows of one entry as stored (GeV; ``process`` may hold stale bytes)."""
        return self._particle_rows(producer, entry)[0]

    def particles(self, producer: str, entry: int) -> np.ndarray:
        """The particles of one entry as argonet PARTICLE_DTYPE (MeV, cm, ns)."""
        rows, labels = self._particle_rows(producer, entry)
        with self._guard(L.product_key("particle", producer), entry):
            return L.particles_from_larcv(rows, labels)

    def truth(self, entry: int) -> Truth | None:
        """Event-level truth from argonet's /argonet/truth table; None when absent."""
        entry = self._entry(entry, L.TRUTH_PATH)
        with self._guard(L.TRUTH_PATH, entry):
            h5, key = self._file(), ("argonet", "truth")
            if key not in self._tables_cache:
                table = h5.get(L.TRUTH_PATH)
                if table is not None and not (isinstance(table, h5py.Dataset) and table.ndim == 1
                                              and table.shape[0] == self._n
                                              and L.same_layout(table.dtype, L.TRUTH_DTYPE)):
                    raise FormatError("truth table has the wrong shape or dtype", file=str(self.path),
                                      product=L.TRUTH_PATH, event=entry)
                self._tables_cache[key] = table
            table = self._tables_cache[key]
            return None if table is None else L.truth_from_row(self._index.rows(table, entry, entry + 1)[0])

    def has_product(self, product_type: str, producer: str) -> bool:
        """Whether the file holds a product of this type and producer."""
        return producer in self.products.get(product_type, [])

    def event(self, entry: int, charge: str = L.CHARGE_PRODUCER, semantic: str = L.SEMANTIC_PRODUCER,
              kind: str | None = L.KIND_PRODUCER, particles: str | None = L.PARTICLE_PRODUCER) -> Event:
        """One entry as an argonet Event.

        Labels must hold the charge pixels (same ids, same order). ``kind`` and ``particles`` may be
        None; when they keep their default names and the file lacks them (real SBND files), the
        event gets no kind labels and an empty particle table.
        """
        entry = self._entry(entry)
        images = self.sparse2d(charge, entry)
        labels = self._labels(semantic, entry, images)
        kinds: list[SparseImage] = []
        if kind is not None and (kind != L.KIND_PRODUCER or self.has_product("sparse2d", kind)):
            kinds = self._labels(kind, entry, images, allow_empty=True)
        table = np.zeros(0, PARTICLE_DTYPE)
        if particles is not None and (particles != L.PARTICLE_PRODUCER or self.has_product("particle", particles)):
            table = self.particles(particles, entry)
        run, subrun, number = (int(v) for v in self.event_ids[entry])
        return Event(images, labels, kinds, table, self.truth(entry), run, subrun, number)

    def _labels(self, producer: str, entry: int, charge: list[SparseImage],
                allow_empty: bool = False) -> list[SparseImage]:
        """A label product of one entry, checked to hold exactly the charge pixels.

        With ``allow_empty`` an entry without projections (an event written without these labels)
        gives an empty list.
        """
        labels = self.sparse2d(producer, entry)
        where = dict(file=str(self.path), product=f"sparse2d/{producer}", event=entry)
        if allow_empty and not labels:
            return []
        if len(labels) != len(charge):
            raise FormatError(f"{len(labels)} projections but the charge has {len(charge)}", **where)
        for p, (lab, c) in enumerate(zip(labels, charge)):
            if not np.array_equal(lab.index, c.index):
                raise FormatError(f"projection {p}: label pixel ids differ from the charge pixel ids", **where)
        return labels
