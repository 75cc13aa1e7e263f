"""LArCV2 ROOT files (DeepLearnPhysics larcv2, e.g. MicroBooNE-era samples) read through uproot, without ROOT.

Layout (read from the DeepLearnPhysics tutorial files): one TTree per product,
``<type>_<producer>_tree`` with one entry per event, holding the branch ``<type>_<producer>_branch``
that uproot splits into member branches:

* ``image2d``: ``_image_v._img`` (one flat float32 vector per projection) and the meta
  ``_image_v._meta.{_id, _p1.x, _p1.y, _p2.x, _p2.y, _col_count, _row_count, _unit}``. larcv2
  stores pixel (row, col) at ``col * rows + row`` (``ImageMeta::index``), column = x, row = y,
  row 0 at the lowest y. So ``pixels.reshape(cols, rows)`` is indexed (x, y): for wire images
  (unit wire/time) that is argonet's (wire, tick) order; for 3-D projections (unit cm) it is
  (first, second) coordinate of the projection. ``_meta._id`` is the projection id.
* ``particle``: ``_part_v._<field>`` for the fields of larcv's Particle (the larcv3 particle row
  of ``larcv3_layout.LARCV_PARTICLE_DTYPE``; points as ``_vtx._x`` ...; energies GeV).
* every tree: ``larcv::EventBase/{_run, _subrun, _event}``.

Entries are read in blocks of consecutive events (one decompression per block, not per event);
the ROOT file is opened lazily in each process, so a reader pickles into DataLoader workers.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import struct
import zlib

import numpy as np

from argonet.errors import ArgonetError, FormatError
from argonet.event import ImageMeta
from argonet.io.h5handle import LIBRARY_ERRORS, one_line
from argonet.io.larcv3_layout import LARCV_PARTICLE_DTYPE, particles_from_larcv

#: larcv2 DistanceUnit_t (DataFormatTypes.h): kUnitUnknown, kUnitCM, kUnitWireTime
UNITS = ("unknown", "cm", "wire/time")
IMAGE_FIELDS = ("_img", "_meta._id", "_meta._p1.x", "_meta._p1.y", "_meta._p2.x", "_meta._p2.y",
                "_meta._col_count", "_meta._row_count", "_meta._unit")
_POINTS = ("vtx", "end_pt", "first_step", "last_step", "parent_vtx", "ancestor_vtx")
EVENT_FIELDS = ("_run", "_subrun", "_event")


def _read_errors() -> tuple[type[BaseException], ...]:
    """Errors of a damaged file (uproot is imported with the first larcv2 file, not with argonet.io)."""
    import uproot

    return (*LIBRARY_ERRORS, uproot.DeserializationError, zlib.error, struct.error, EOFError)


@dataclass
class Larcv2Image:
    """One projection of an image2d product: geometry, the (x, y) pixel array, and the meta's unit."""

    meta: ImageMeta           # shape (cols, rows); size and origin in ``unit`` (cm, or wires and ticks)
    pixels: np.ndarray        # float32 (cols, rows)
    unit: str                 # cm | wire/time | unknown


def _particle_leaves() -> dict[str, str]:
    """larcv3 particle field (or ``field.x``) → larcv2 member name (``_part_v._vtx._x`` suffix)."""
    leaves = {}
    for name in LARCV_PARTICLE_DTYPE.names:
        if name in _POINTS:
            leaves.update({f"{name}.{c}": f"_{name}._{c}" for c in "xyzt"})
        else:
            leaves[name] = f"_{name}"
    return leaves


PARTICLE_LEAVES = _particle_leaves()


class Larcv2RootFile:
    """A LArCV2 ROOT file: products, entries, image2d projections and particle tables per entry."""

    def __init__(self, path: str | os.PathLike, block: int = 32):
        self.path = Path(path)
        self.block = max(1, int(block))
        self._root, self._pid = None, -1
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[int, int, dict]] = {}
        self._keys: dict[str, dict[str, str]] = {}
        if not self.path.is_file():
            raise FormatError("no such file", file=str(self.path))
        try:
            self._scan()
        except ArgonetError:
            self.close()
            raise

    def _scan(self) -> None:
        """Find the product trees and check they hold the same number of entries."""
        with self._guard(action="cannot open as a ROOT file, truncated or damaged"):
            trees = {}
            for name, classname in self._file().classnames(recursive=False).items():
                parts = name.split(";")[0].split("_")
                if classname == "TTree" and len(parts) >= 3 and parts[-1] == "tree":
                    trees[(parts[0], "_".join(parts[1:-1]))] = name.split(";")[0]
            if not trees:
                raise FormatError("not a LArCV2 file: no <type>_<producer>_tree", file=str(self.path))
            self.trees = trees
            counts = {key: self._file()[name].num_entries for key, name in trees.items()}
        if len(set(counts.values())) != 1:
            raise FormatError(f"products hold different numbers of entries: {counts}", file=str(self.path))
        self.n_entries = next(iter(counts.values()))

    @property
    def products(self) -> dict[str, list[str]]:
        """Producer names by product type, e.g. ``{"image2d": ["wire"], "particle": ["mcst"]}``."""
        out: dict[str, list[str]] = {}
        for kind, producer in sorted(self.trees):
            out.setdefault(kind, []).append(producer)
        return out

    def __len__(self) -> int:
        """Number of entries (events)."""
        return self.n_entries

    def _file(self):
        """The uproot handle of this process, opened on first use (and again after a fork)."""
        if self._root is None or self._pid != os.getpid():
            import uproot

            self._root = uproot.open(self.path)
            self._pid = os.getpid()
            self._cache.clear()
        return self._root

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_root": None, "_pid": -1, "_cache": {}}

    @contextlib.contextmanager
    def _guard(self, product: str | None = None, entry: int | None = None, action: str = "cannot read"):
        """Turn uproot, decompression and numpy errors into one FormatError naming file, product and entry."""
        try:
            yield
        except ArgonetError:
            raise
        except _read_errors() as exc:
            raise FormatError(f"{action} ({one_line(exc)})", file=str(self.path), product=product,
                              event=entry) from exc

    def close(self) -> None:
        """Release the ROOT file; a later read opens it again."""
        if self._root is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                self._root.close()
        self._root, self._cache = None, {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _tree(self, kind: str, producer: str):
        """The TTree of a product; FormatError listing the producers of that type otherwise."""
        if (kind, producer) not in self.trees:
            raise FormatError(f"no {kind} product {producer!r}", file=str(self.path), product=producer,
                              available=self.products.get(kind, []))
        return self._file()[self.trees[kind, producer]]

    def _leaf_keys(self, kind: str, producer: str, suffixes: tuple[str, ...]) -> dict[str, str]:
        """Full branch names ending in each member suffix (``._img`` …) or base field (``/_run``)."""
        tree_name = self.trees[kind, producer]
        if tree_name not in self._keys:
            self._keys[tree_name] = {k.rsplit("/", 1)[-1]: k for k in self._tree(kind, producer).keys(recursive=True)}
        names = self._keys[tree_name]
        out = {}
        for suffix in suffixes:
            found = [full for leaf, full in names.items() if leaf == suffix or leaf.endswith("." + suffix)]
            if len(found) != 1:
                raise FormatError(f"no branch ending in {suffix!r} in {tree_name}", file=str(self.path),
                                  product=f"{kind}/{producer}")
            out[suffix] = found[0]
        return out

    def _entry(self, kind: str, producer: str, suffixes: tuple[str, ...], entry: int) -> dict:
        """The values of the member branches ``suffixes`` at ``entry``, read a block of entries at a time."""
        if not 0 <= entry < self.n_entries:
            raise IndexError(f"entry {entry} out of range 0..{self.n_entries - 1} in {self.path}")
        key = (f"{kind}/{producer}", suffixes)
        with self._guard(key[0], entry):
            cached = self._cache.get(key)
            if cached is None or not cached[0] <= entry < cached[1]:
                keys = self._leaf_keys(kind, producer, suffixes)
                start = entry - entry % self.block
                stop = min(start + self.block, self.n_entries)
                tree = self._tree(kind, producer)
                arrays = {s: tree[k].array(entry_start=start, entry_stop=stop, library="np")
                          for s, k in keys.items()}
                cached = self._cache[key] = (start, stop, arrays)
            return {s: values[entry - cached[0]] for s, values in cached[2].items()}

    def event_id(self, entry: int) -> tuple[int, int, int]:
        """(run, subrun, event) of an entry, from the first product's EventBase."""
        kind, producer = next(iter(sorted(self.trees)))
        values = self._entry(kind, producer, EVENT_FIELDS, entry)
        return tuple(int(values[f]) for f in EVENT_FIELDS)

    def image2d(self, producer: str, entry: int) -> list[Larcv2Image]:
        """The projections of an image2d product at ``entry``, each (cols, rows) = (x, y) float32."""
        self._tree("image2d", producer)
        values = self._entry("image2d", producer, IMAGE_FIELDS, entry)
        where = dict(file=str(self.path), product=f"image2d/{producer}", event=entry)
        images = []
        with self._guard(where["product"], entry):
            for k, flat in enumerate(values["_img"]):
                cols, rows = int(values["_meta._col_count"][k]), int(values["_meta._row_count"][k])
                pixels = np.asarray(flat, dtype=np.float32)
                if pixels.size != cols * rows:
                    raise FormatError(f"projection {k} holds {pixels.size} pixels, its meta says {cols} x {rows}",
                                      **where)
                x0, y0 = float(values["_meta._p1.x"][k]), float(values["_meta._p1.y"][k])
                size = (float(values["_meta._p2.x"][k]) - x0, float(values["_meta._p2.y"][k]) - y0)
                unit = int(values["_meta._unit"][k])
                meta = ImageMeta(int(values["_meta._id"][k]), (cols, rows), size, (x0, y0))
                images.append(Larcv2Image(meta, pixels.reshape(cols, rows),
                                          UNITS[unit] if 0 <= unit < len(UNITS) else "unknown"))
        return images

    def particles_raw(self, producer: str, entry: int) -> np.ndarray:
        """The particles of a particle product at ``entry`` as larcv3 particle rows (GeV, cm, ns)."""
        self._tree("particle", producer)
        values = self._entry("particle", producer, tuple(PARTICLE_LEAVES.values()), entry)
        n = len(values["_pdg"])
        rows = np.zeros(n, LARCV_PARTICLE_DTYPE)
        with self._guard(f"particle/{producer}", entry):
            for field, leaf in PARTICLE_LEAVES.items():
                column = values[leaf]
                if len(column) != n:
                    raise FormatError(f"member {leaf} holds {len(column)} values for {n} particles",
                                      file=str(self.path), product=f"particle/{producer}", event=entry)
                if field == "process":
                    rows["process"] = [str(s).encode("utf-8", "replace")[:64] for s in column]
                elif "." in field:
                    name, c = field.split(".")
                    rows[name][c] = column
                else:
                    rows[field] = column
        return rows

    def particles(self, producer: str, entry: int) -> np.ndarray:
        """The particles at ``entry`` as argonet's particle table (MeV, cm, ns)."""
        return particles_from_larcv(self.particles_raw(producer, entry))
