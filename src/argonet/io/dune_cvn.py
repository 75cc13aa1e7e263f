"""DUNE CVN pixel maps: the far-detector event images of the DUNE CVN paper (Phys. Rev. D 102, 092003).

An event is ``event<N>.gz``: zlib-compressed (not gzip, despite the name) raw uint8 bytes of shape
(3, 500, 500) = view (U, V induction; Z collection) × wire × time bin, charge 0..255, 0 = empty.
That is argonet's plane-image order (axis -2 wire, axis -1 drift), so maps need no transpose.

Labels come from the partition file, one row per event id:
``[is_antinu, flavour, interaction, n_protons, n_charged_pions, n_pizeros, n_neutrons]`` with
flavour 0 numu CC, 1 nue CC, 2 nutau CC, 3 NC; interaction 0 QE, 1 resonant, 2 DIS, 3 other,
-1 for NC (is_antinu is -1 for NC too); particle counts are 0, 1, 2, or 3 for "more than 2".
The JSON copy of the partition is read when present; otherwise the pickle, through an unpickler
that refuses every global (plain dicts, lists, strings and ints only).

Two folder layouts are read:

* flavour folders (``dataset_info/``): ``<root>/{numu,nue,nutau,nc}/event<N>.gz`` with
  ``partition_<flavour>.json`` (a dict ``{id: row}``) and per-event truth text ``event<N>.info``;
  a single flavour folder is read the same way;
* the original release (``original_20/``): ``<root>/dataset/event<N>.gz`` (or the ``dataset``
  folder itself) with ``partition.json`` = ``{"IDs": [...], "labels": {id: row}}``.
"""

from __future__ import annotations

import json
import os
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from argonet.errors import FormatError
from argonet.event import Truth

#: (view, wire, time bin) of one pixel map
CVN_SHAPE = (3, 500, 500)
CVN_VIEWS = ("U", "V", "Z")
#: partition flavour code → argonet event class (argonet.event.EVENT_CLASSES)
CVN_CLASSES = ("NUMU_CC", "NUE_CC", "NUTAU_CC", "NC")
#: flavour sub-folder names of the dataset_info layout, in flavour-code order
CVN_FOLDERS = ("numu", "nue", "nutau", "nc")
PARTITION_FIELDS = ("is_antinu", "flavour", "interaction", "n_protons", "n_charged_pions", "n_pizeros",
                    "n_neutrons")
INTERACTIONS = {0: "QE", 1: "RES", 2: "DIS", 3: "OTHER", -1: "NC"}
#: interaction code → GENIE/Nuance code as argonet's Truth stores it (1001 CCQE, 1003 CC resonant
#: (first of the resonant codes), 1091 CC DIS, -1 unknown)
GENIE_CODES = {0: 1001, 1: 1003, 2: 1091}
#: line of ``event<N>.info`` → field (meaning per the dune-cvn tutorial notebook); other lines are kept unnamed
INFO_FIELDS = {0: "cvn_code", 1: "nu_energy_GeV", 2: "lepton_energy_GeV", 6: "oscillation_weight", 7: "nu_pdg",
               8: "n_protons", 9: "n_pions", 10: "n_pizeros", 11: "n_neutrons"}
INFO_LINES = 15


class _PlainUnpickler(pickle.Unpickler):
    """Loads only builtin containers and scalars: any global (class, function) is refused."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only plain lists and dicts are read)")


def _load_partition(folder: Path, stem: str) -> tuple[object, Path]:
    """The partition object of ``<stem>.json`` (preferred) or ``<stem>.p``, and the file it came from."""
    for path in (folder / f"{stem}.json", folder / f"{stem}.p"):
        if not path.is_file():
            continue
        try:
            if path.suffix == ".json":
                return json.loads(path.read_text()), path
            with open(path, "rb") as handle:
                return _PlainUnpickler(handle).load(), path
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, IndexError, KeyError, TypeError,
                MemoryError) as exc:
            raise FormatError(f"cannot read the partition labels ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:160]})", file=str(path)) from exc
    raise FormatError(f"no partition labels ({stem}.json or {stem}.p)", file=str(folder))


def _label_rows(table: object, ids: list[str], path: Path) -> np.ndarray:
    """(n, 7) int64 label rows of ``ids`` from a ``{id: row}`` mapping; FormatError on a bad row."""
    if not isinstance(table, dict):
        raise FormatError(f"labels must map event ids to rows, got {type(table).__name__}", file=str(path))
    rows = []
    for i in ids:
        row = table.get(i)
        if (not isinstance(row, (list, tuple)) or len(row) != len(PARTITION_FIELDS)
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in row)):
            raise FormatError(f"event {i}: label row {row!r} is not {len(PARTITION_FIELDS)} integers "
                              f"({', '.join(PARTITION_FIELDS)})", file=str(path))
        rows.append(row)
    labels = np.asarray(rows, dtype=np.int64).reshape(-1, len(PARTITION_FIELDS))
    bad = (labels[:, 1] < 0) | (labels[:, 1] >= len(CVN_CLASSES))
    if bad.any():
        raise FormatError(f"event {ids[int(np.argmax(bad))]}: flavour {labels[bad][0, 1]} is not 0..3", file=str(path))
    return labels


def _sorted_ids(ids) -> list[str]:
    """Event ids as strings, numeric ones in numeric order."""
    ids = [str(i) for i in ids]
    return sorted(ids, key=lambda s: (0, int(s), "") if s.isdigit() else (1, 0, s))


@dataclass
class CvnFolder:
    """The events of one CVN dataset folder: map files, label rows, and where each came from."""

    root: Path
    files: list[Path]           # event<N>.gz of every event, in order
    labels: np.ndarray          # (n, 7) int64 partition rows (PARTITION_FIELDS)

    def __len__(self) -> int:
        """Number of events."""
        return len(self.files)

    @property
    def flavour(self) -> np.ndarray:
        """Flavour code of every event (0 numu CC, 1 nue CC, 2 nutau CC, 3 NC)."""
        return self.labels[:, 1]

    @property
    def class_names(self) -> list[str]:
        """argonet event class of every event (NUMU_CC, NUE_CC, NUTAU_CC, NC)."""
        return [CVN_CLASSES[f] for f in self.flavour]

    def class_counts(self) -> dict[str, int]:
        """Events per class."""
        counts = np.bincount(self.flavour, minlength=len(CVN_CLASSES))
        return dict(zip(CVN_CLASSES, counts.tolist()))

    def pixel_map(self, i: int) -> np.ndarray:
        """Event ``i`` as uint8 (3, 500, 500) = (view, wire, time bin)."""
        return read_pixel_map(self.files[i])

    def label(self, i: int) -> dict[str, int]:
        """The partition row of event ``i`` by field name."""
        return dict(zip(PARTITION_FIELDS, self.labels[i].tolist()))

    def info(self, i: int) -> dict[str, float] | None:
        """The ``.info`` truth of event ``i`` (None when the folder has no such files)."""
        path = self.files[i].with_suffix(".info")
        return read_info(path) if path.is_file() else None

    def truth(self, i: int) -> Truth:
        """Event ``i`` as argonet truth: class, current, interaction code; neutrino pdg and energy from ``.info``."""
        row, info = self.label(i), self.info(i)
        nc = row["flavour"] == 3
        return Truth(CVN_CLASSES[row["flavour"]],
                     nu_pdg=int(info["nu_pdg"]) if info and not nc else 0,
                     nu_energy_GeV=float(info["nu_energy_GeV"]) if info else 0.0,
                     current_type=1 if nc else 0, interaction_type=GENIE_CODES.get(row["interaction"], -1))


def read_pixel_map(path: str | os.PathLike) -> np.ndarray:
    """One ``event<N>.gz`` as uint8 (3, 500, 500); FormatError naming the file when damaged."""
    try:
        raw = zlib.decompress(Path(path).read_bytes())
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror or exc})", file=str(path)) from exc
    except zlib.error as exc:
        raise FormatError(f"not a complete zlib stream, truncated or damaged ({exc})", file=str(path)) from exc
    if len(raw) != int(np.prod(CVN_SHAPE)):
        raise FormatError(f"holds {len(raw)} bytes, a pixel map has {int(np.prod(CVN_SHAPE))} (3 x 500 x 500 uint8)",
                          file=str(path))
    return np.frombuffer(raw, np.uint8).reshape(CVN_SHAPE)


def read_info(path: str | os.PathLike) -> dict[str, float]:
    """The 15 numbers of an ``event<N>.info``: named fields (INFO_FIELDS) plus ``line<k>`` for the others."""
    try:
        values = [float(v) for v in Path(path).read_text().split()]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read the truth text ({type(exc).__name__})", file=str(path)) from exc
    if len(values) != INFO_LINES:
        raise FormatError(f"holds {len(values)} numbers, expected {INFO_LINES}", file=str(path))
    return {INFO_FIELDS.get(k, f"line{k}"): v for k, v in enumerate(values)}


def _flavour_folder(folder: Path, flavour: int | None) -> tuple[list[Path], np.ndarray]:
    """Files and labels of one ``partition_<flavour>`` folder, checking the labels agree with the folder."""
    stems = [p.stem for p in folder.glob("partition_*.*") if p.suffix in (".json", ".p")]
    if not stems:
        raise FormatError("no partition_<flavour>.json in the flavour folder", file=str(folder))
    table, path = _load_partition(folder, sorted(stems)[0])
    ids = _sorted_ids(table) if isinstance(table, dict) else []
    labels = _label_rows(table, ids, path)
    if flavour is not None and (labels[:, 1] != flavour).any():
        k = int(np.argmax(labels[:, 1] != flavour))
        raise FormatError(f"event {ids[k]} is labelled flavour {labels[k, 1]} in folder {folder.name!r} "
                          f"(flavour {flavour})", file=str(path))
    return [folder / f"event{i}.gz" for i in ids], labels


def scan_cvn_folder(root: str | os.PathLike) -> CvnFolder:
    """List the events of a CVN folder (flavour folders, one flavour folder, or the original release).

    Every listed map file must exist; contents are checked when read.
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError("CVN folder not found", file=str(root))
    flavours = [name for name in CVN_FOLDERS if (root / name).is_dir()]
    if flavours:
        parts = [_flavour_folder(root / name, CVN_FOLDERS.index(name)) for name in flavours]
        files, labels = [f for p in parts for f in p[0]], np.concatenate([p[1] for p in parts])
    elif any(root.glob("partition_*.json")) or any(root.glob("partition_*.p")):
        files, labels = _flavour_folder(root, CVN_FOLDERS.index(root.name) if root.name in CVN_FOLDERS else None)
    else:
        folder = root / "dataset" if (root / "dataset").is_dir() else root
        if not any((folder / f"partition{suffix}").is_file() for suffix in (".json", ".p")):
            raise FormatError("not a CVN folder: expected flavour folders numu/ nue/ nutau/ nc/, a "
                              "partition_<flavour>.json, or dataset/partition.json", file=str(root))
        table, path = _load_partition(folder, "partition")
        if isinstance(table, list) and len(table) == 2:          # the pickle stores [IDs, labels]
            table = {"IDs": table[0], "labels": table[1]}
        if not isinstance(table, dict) or "labels" not in table:
            raise FormatError("expected {'IDs': [...], 'labels': {id: row}}", file=str(path))
        ids = [str(i) for i in table.get("IDs") or _sorted_ids(table["labels"])]
        labels = _label_rows(table["labels"], ids, path)
        files = [folder / f"event{i}.gz" for i in ids]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise FormatError(f"{len(missing)} labelled event file(s) missing, first {missing[0].name}",
                          file=str(missing[0].parent))
    if not files:
        raise FormatError("the folder lists no event", file=str(root))
    return CvnFolder(root, files, labels)
