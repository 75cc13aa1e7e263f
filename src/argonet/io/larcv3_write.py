"""Write larcv3 HDF5 files that larcv3's IOManager reads back, plus argonet's event truth.

Events are buffered in memory and appended to the tables in blocks; the file is written under a
temporary name and renamed onto the final name by ``close`` (an exception or an interrupt inside
``with`` deletes the temporary file and leaves the final name untouched).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from argonet import __version__
from argonet.errors import ConfigError, DataError, FormatError, raise_if_interrupted
from argonet.event import EVENT_CLASSES, PARTICLE_DTYPE, Event, ImageMeta, SparseImage, Truth
from argonet.io import larcv3_layout as L
from argonet.io.atomic import AtomicPath

#: Rows per chunk, by table: one CosmicTagger event (~150k voxels) spans ~10 voxel chunks.
CHUNK_ROWS = {"voxels": 16384, "images": 65536, "particles": 512}
DEFAULT_CHUNK_ROWS = 1024
WRITABLE_TYPES = ("sparse2d", "image2d", "particle")


def _append(group: h5py.Group, name: str, rows: np.ndarray, compression: str | None) -> None:
    """Append rows to a 1-D chunked, unlimited dataset, creating it on first use."""
    if name not in group:
        chunk = CHUNK_ROWS.get(name, DEFAULT_CHUNK_ROWS)
        options = {"compression": "gzip", "compression_opts": 1} if compression == "gzip" else {}
        group.create_dataset(name, shape=(0,), dtype=rows.dtype, chunks=(chunk,), maxshape=(None,),
                             track_times=False, **options)          # no timestamps: same events, same bytes
    dataset = group[name]
    start = dataset.shape[0]
    if len(rows):
        dataset.resize((start + len(rows),))
        dataset[start:] = rows


def _concat(parts: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """Concatenate buffered arrays (an empty array of ``dtype`` when there are none)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


class _Buffer:
    """Entries of one product group not yet written; subclasses hold the payload of each type."""

    def __init__(self, product_type: str, producer: str):
        self.product_type, self.producer = product_type, producer
        self.levels, self.payload_name, _ = L.TABLES[product_type]
        self.rows_below = [0] * len(self.levels)   # rows already in the table each level slices
        self.n_entries = 0
        self.counts: list[int] = []                # level-0 count per buffered event
        self.payload_bytes = 0                     # approximate memory held by the buffered payload

    def pad_to(self, n_entries: int) -> None:
        """Give every earlier event without this product an empty entry (larcv3 needs one per event)."""
        if n_entries > self.n_entries:
            self._pad(n_entries - self.n_entries)
            self.n_entries = n_entries

    def _pad(self, missing: int) -> None:
        self.counts.extend([0] * missing)

    def _write_level(self, group: h5py.Group, level: int, counts, ids, compression: str | None) -> None:
        """Append extents rows of one level (first, N[, ID]) after the rows already written."""
        counts = np.asarray(counts, np.int64)
        rows = np.zeros(len(counts), L.ID_EXTENTS_DTYPE if level else L.EXTENTS_DTYPE)
        rows["first"] = self.rows_below[level] + np.cumsum(counts) - counts
        rows["N"] = counts
        if level:
            rows["ID"] = ids
        _append(group, self.levels[level], rows, compression)
        self.rows_below[level] += int(counts.sum())


class _ImageBuffer(_Buffer):
    """sparse2d or image2d entries: a meta and a payload (voxels or pixel values) per projection."""

    def __init__(self, product_type: str, producer: str):
        super().__init__(product_type, producer)
        self.metas: list[ImageMeta] = []
        self.index: list[np.ndarray] = []
        self.value: list[np.ndarray] = []

    def add(self, metas: Sequence[ImageMeta], index: Sequence[np.ndarray], value: Sequence[np.ndarray]) -> None:
        """One event's projections (``index`` is empty for image2d)."""
        self.counts.append(len(metas))
        self.metas.extend(metas)
        self.index.extend(index)
        self.value.extend(value)
        self.n_entries += 1
        self.payload_bytes += sum(v.nbytes for v in value) + sum(i.nbytes for i in index)

    def flush(self, h5: h5py.File, compression: str | None) -> None:
        """Append the buffered entries to the product's tables and empty the buffer."""
        group = h5.require_group(f"Data/{L.group_name(self.product_type, self.producer)}")
        self._write_level(group, 0, self.counts, None, compression)
        self._write_level(group, 1, [len(v) for v in self.value], [m.projection_id for m in self.metas], compression)
        _append(group, "image_meta", L.meta_rows(self.metas), compression)
        values = _concat(self.value, np.float32)
        if self.product_type == "sparse2d":
            payload = np.zeros(len(values), L.VOXEL_DTYPE)   # zeroed padding: same bytes each run
            payload["id"], payload["value"] = _concat(self.index, np.uint64), values
        else:
            payload = values
        _append(group, self.payload_name, payload, compression)
        self.counts, self.metas, self.index, self.value, self.payload_bytes = [], [], [], [], 0


class _ParticleBuffer(_Buffer):
    """particle entries from argonet tables, larcv3 rows, or (neutrino) truth + primaries."""

    def __init__(self, producer: str, source: str):
        super().__init__("particle", producer)
        self.source = source                        # "argonet" | "larcv" | "neutrino"
        self.tables: list[np.ndarray] = []
        self.truths: list = []
        self.present: list[bool] = []

    def _pad(self, missing: int) -> None:
        self.present.extend([False] * missing)

    def add(self, table: np.ndarray, truth=None) -> None:
        """One event's particles (for the neutrino product: its primaries, and the truth)."""
        self.tables.append(table)
        self.truths.append(truth)
        self.present.append(True)
        self.n_entries += 1
        self.payload_bytes += table.nbytes

    def flush(self, h5: h5py.File, compression: str | None) -> None:
        """Convert the buffered block in one call, append it and empty the buffer."""
        group = h5.require_group(f"Data/{L.group_name('particle', self.producer)}")
        counts = np.array([len(t) for t in self.tables], np.int64)
        dtype = L.LARCV_PARTICLE_DTYPE if self.source == "larcv" else PARTICLE_DTYPE
        table = _concat(self.tables, dtype)
        if self.source == "larcv":
            rows = table
        elif self.source == "argonet":
            rows = L.particles_to_larcv(table, counts)
            labels = L.particle_labels(table)
            _append(h5.require_group(L.PARTICLE_LABELS_PATH), self.producer, labels, compression)
        else:
            rows = L.neutrino_rows(L.truth_rows(self.truths), table, counts)
            counts = counts + 1
        per_event = np.zeros(len(self.present), np.int64)
        per_event[np.asarray(self.present, bool)] = counts
        self._write_level(group, 0, per_event, None, compression)
        _append(group, "particles", rows, compression)
        self.tables, self.truths, self.present, self.payload_bytes = [], [], [], 0


def _voxels(image: SparseImage, what: str) -> tuple[np.ndarray, np.ndarray]:
    """A projection's ids (uint64) and values (float32) in increasing id; DataError on bad ids or values."""
    index = np.asarray(image.index).astype(np.uint64, copy=False)
    value = np.asarray(image.value).astype(np.float32, copy=False)
    if index.shape != value.shape or index.ndim != 1:
        raise DataError(f"{what}: index and value must be 1-D of equal length, got {index.shape} and {value.shape}")
    if not bool(np.isfinite(value).all()):
        raise DataError(f"{what}: non-finite value {float(value[~np.isfinite(value)][0])}; values must be finite")
    if len(index) > 1 and not bool((index[1:] > index[:-1]).all()):
        order = np.argsort(index, kind="stable")
        index, value = index[order], value[order]
        if not bool((index[1:] > index[:-1]).all()):
            raise DataError(f"{what}: duplicate pixel ids")
    n_pixels = 1
    for n in image.meta.shape:
        n_pixels *= int(n)
    if len(index) and int(index[-1]) >= n_pixels:
        raise DataError(f"{what}: pixel id {int(index[-1])} is outside the image of shape {image.meta.shape}")
    return index, value


def _check_same_pixels(charge: Sequence[SparseImage], labels: Sequence[SparseImage], what: str) -> None:
    """Labels must hold exactly the charge pixels (SBND convention: same ids, same order)."""
    if len(labels) != len(charge):
        raise DataError(f"{what}: {len(labels)} planes but charge has {len(charge)}")
    for plane, (c, lab) in enumerate(zip(charge, labels)):
        if not np.array_equal(np.asarray(c.index), np.asarray(lab.index)):
            raise DataError(f"{what}: plane {plane} pixel ids differ from the charge pixel ids")


def _parse_key(key) -> tuple[str, str]:
    """A product key, ``"type/producer"`` or ``(type, producer)``, checked against the writable types."""
    parts = key.split("/", 1) if isinstance(key, str) else tuple(key)
    if len(parts) != 2:
        raise ConfigError("entry_products", f"product key {key!r} is not 'type/producer' or (type, producer)")
    product_type, producer = parts
    if product_type not in WRITABLE_TYPES:
        raise ConfigError("entry_products", f"cannot write product type {product_type!r}", WRITABLE_TYPES)
    if not producer:
        raise ConfigError("entry_products", f"empty producer name in {key!r}")
    return product_type, producer


def _attr_value(value):
    """An attribute value HDF5 stores: text and numbers as they are, anything else as JSON text."""
    if isinstance(value, (str, bytes, int, float, bool, np.generic)):
        return value
    return json.dumps(value, default=str)


class Larcv3Writer:
    """Write events into a larcv3 file (and argonet's truth table beside larcv3's tables).

    Args:
        path: final file name; nothing exists under it until ``close`` succeeds.
        overwrite: replace an existing file (otherwise FormatError).
        attrs: extra root attributes, e.g. ``{"argonet_config": yaml_text}``; non-text values are
            stored as JSON text.
        charge, semantic, kind, particles: producer names used by ``write``.
        compression: ``"gzip"`` (level 1, as larcv3) or None (faster to read, 2-3x larger).
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = False, attrs: dict | None = None,
                 charge: str = L.CHARGE_PRODUCER, semantic: str = L.SEMANTIC_PRODUCER,
                 kind: str = L.KIND_PRODUCER, particles: str = L.PARTICLE_PRODUCER,
                 neutrino: str = L.NEUTRINO_PRODUCER, compression: str | None = "gzip",
                 flush_bytes: int = 64 << 20):
        if compression not in ("gzip", None):
            raise ConfigError("compression", f"unknown compression {compression!r}", ("gzip", "None"))
        self.producers = dict(charge=charge, semantic=semantic, kind=kind, particles=particles, neutrino=neutrino)
        self.compression, self.flush_bytes = compression, flush_bytes
        self.attrs = dict(attrs or {})
        self._out = AtomicPath(path, overwrite)
        self.path = self._out.path
        try:
            self._h5 = h5py.File(self._out.tmp, "w")
        except OSError as exc:
            self._out.discard()
            raise FormatError(f"cannot create the file ({exc})", file=str(self.path)) from exc
        self._products: dict[tuple[str, str], _ImageBuffer | _ParticleBuffer] = {}
        self._event_ids: list[tuple[int, int, int]] = []
        self._truth: list[Truth | None] = []
        self._truth_written = 0       # rows already flushed (or skipped while no event had truth)
        self._truth_table = False     # whether any event so far had truth
        self._closed = False

    def __len__(self) -> int:
        """Number of events written so far."""
        return self._truth_written + len(self._truth)

    def write(self, event: Event) -> None:
        """Append one argonet event: charge, labels, particles, neutrino record and truth."""
        raise_if_interrupted()
        charge = event.charge
        _check_same_pixels(charge, event.semantic, "semantic labels")
        if event.kind:
            _check_same_pixels(charge, event.kind, "kind labels")
        products = {("sparse2d", self.producers["charge"]): charge,
                    ("sparse2d", self.producers["semantic"]): event.semantic,
                    ("particle", self.producers["particles"]): event.particles}
        if event.kind:
            products[("sparse2d", self.producers["kind"])] = event.kind
        prepared = [self._prepare(*key, value) for key, value in products.items()]
        if event.truth is not None and event.truth.nu_pdg != 0:
            primaries = L.neutrino_primaries(np.asarray(event.particles))
            prepared.append(self._prepared_particles(self.producers["neutrino"], "neutrino", primaries, event.truth))
        self._write_entry(prepared, (event.run, event.subrun, event.event), event.truth)

    def write_products(self, entry_products: Mapping, event_id: Sequence[int] = (0, 0, 0),
                       truth: Truth | None = None) -> None:
        """Append one event made of arbitrary products.

        Keys are ``"type/producer"`` or ``(type, producer)``; values by type: ``sparse2d`` a list of
        SparseImage (one per projection), ``image2d`` a list of (ImageMeta, 2-D array), ``particle``
        an array of argonet PARTICLE_DTYPE or larcv3 LARCV_PARTICLE_DTYPE rows.
        """
        prepared = [self._prepare(*_parse_key(key), value) for key, value in entry_products.items()]
        self._write_entry(prepared, event_id, truth)

    def _write_entry(self, prepared: list, event_id: Sequence[int], truth: Truth | None) -> None:
        """Buffer an event whose products were all checked (so a bad product leaves no trace)."""
        self._check_open()
        if len(event_id) != 3:
            raise ConfigError("event_id", f"needs (run, subrun, event), got {tuple(event_id)!r}")
        event_id = tuple(int(v) for v in event_id)
        entry = len(self)
        for (product_type, producer), source, args in prepared:
            self._buffer(product_type, producer, entry, source).add(*args)
        self._event_ids.append(event_id)
        self._truth.append(truth)
        self._truth_table |= truth is not None
        if sum(b.payload_bytes for b in self._products.values()) >= self.flush_bytes:
            self.flush()

    def _prepared_particles(self, producer: str, source: str, rows: np.ndarray, truth: Truth | None = None):
        """A checked particle product, ready for its buffer."""
        buffer = self._products.get(("particle", producer))
        if buffer is not None and buffer.source != source:
            raise DataError(f"particle/{producer}: mixes {buffer.source} and {source} particle tables in one file")
        return ("particle", producer), source, ((rows, truth) if source == "neutrino" else (rows,))

    def _prepare(self, product_type: str, producer: str, value):
        """Check and convert one product of an event; nothing is buffered yet."""
        what = f"{product_type}/{producer}"
        if product_type == "particle":
            rows = np.asarray(value)
            names = set(rows.dtype.names or ())
            if names == set(PARTICLE_DTYPE.names):
                return self._prepared_particles(producer, "argonet", rows.astype(PARTICLE_DTYPE, copy=False))
            if names == set(L.LARCV_PARTICLE_DTYPE.names):
                return self._prepared_particles(producer, "larcv", rows.astype(L.LARCV_PARTICLE_DTYPE))
            raise DataError(f"{what}: particles must have argonet's PARTICLE_DTYPE or larcv3's particle dtype")
        if product_type == "sparse2d":
            if not all(isinstance(image, SparseImage) for image in value):
                raise DataError(f"{what}: needs a list of SparseImage, one per projection")
            metas = [image.meta for image in value]
            pairs = [_voxels(image, f"{what} projection {p}") for p, image in enumerate(value)]
            index, values = [i for i, _ in pairs], [v for _, v in pairs]
        else:
            metas = [meta for meta, _ in value]
            index = []
            values = [_image_values(meta, image, f"{what} projection {p}") for p, (meta, image) in enumerate(value)]
        if any(len(m.shape) != 2 for m in metas):
            raise DataError(f"{what}: only 2-D image metas can be written")
        return (product_type, producer), None, (metas, index, values)

    def _buffer(self, product_type: str, producer: str, entry: int, source: str | None):
        """The buffer of a product, created (with empty entries for earlier events) on first use."""
        buffer = self._products.get((product_type, producer))
        if buffer is None:
            buffer = _ParticleBuffer(producer, source) if product_type == "particle" \
                else _ImageBuffer(product_type, producer)
            self._products[(product_type, producer)] = buffer
        buffer.pad_to(entry)
        return buffer

    def flush(self) -> None:
        """Append every buffered event to the file."""
        self._check_open()
        n = len(self)
        self._h5.require_group("Data")
        for buffer in self._products.values():
            buffer.pad_to(n)
            buffer.flush(self._h5, self.compression)
        ids = np.array(self._event_ids, dtype=np.int64).reshape(-1, 3)
        rows = np.zeros(len(ids), L.EVENT_ID_DTYPE)
        rows["run"], rows["subrun"], rows["event"] = ids.T
        _append(self._h5.require_group("Events"), "event_id", rows, self.compression)
        if self._truth_table:
            self._flush_truth()
        self._truth_written += len(self._truth)
        self._event_ids, self._truth = [], []

    def _flush_truth(self) -> None:
        """Append truth rows, back-filling 'no truth' rows for events flushed before any had truth."""
        group_path, name = L.TRUTH_PATH.rsplit("/", 1)
        group = self._h5.require_group(group_path)
        truths = self._truth
        if name not in group:
            truths = [None] * self._truth_written + truths
        _append(group, name, L.truth_rows(truths), self.compression)
        group[name].attrs["class_names"] = json.dumps(list(EVENT_CLASSES))

    def close(self) -> Path:
        """Write what is buffered and the root attributes, then move the file onto its final name."""
        if self._closed:
            return self.path
        try:
            self.flush()
            self._h5.attrs["argonet_version"] = __version__
            for key, value in self.attrs.items():
                self._h5.attrs[str(key)] = _attr_value(value)
            self._h5.close()
            self._closed = True
            return self._out.commit()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop everything written: close the file and delete the temporary name."""
        self._closed = True
        try:
            self._h5.close()
        finally:
            self._out.discard()

    def _check_open(self) -> None:
        if self._closed:
            raise FormatError("the writer is closed", file=str(self.path))

    def __enter__(self) -> "Larcv3Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _image_values(meta: ImageMeta, image: np.ndarray, what: str) -> np.ndarray:
    """A dense image as larcv3's flat float32 C-order values; DataError when the shape differs from the meta."""
    image = np.asarray(image, np.float32)
    if image.shape != tuple(meta.shape):
        raise DataError(f"{what}: image shape {image.shape} differs from its meta shape {tuple(meta.shape)}")
    return np.ascontiguousarray(image).reshape(-1)


def write_events(path: str | os.PathLike, events: Iterable[Event], overwrite: bool = False,
                 attrs: dict | None = None) -> Path:
    """Write all events to a larcv3 file in one go; returns the final path."""
    with Larcv3Writer(path, overwrite=overwrite, attrs=attrs) as writer:
        for event in events:
            writer.write(event)
    return writer.path
