"""larcv3 files under ``data=``: the files, their events with truth, and one event's planes as arrays.

The pictures are those of ``argonet display``: charge, truth labels (semantic, kind) and a predicted
label product per plane, cropped to the active region (``viz.display.active_window``); planes
larger than ``MAX_DISPLAY_PIXELS`` along an axis are max-pooled for the browser.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import os
from pathlib import Path
from typing import Any
import warnings

import h5py
import numpy as np

from argonet.conf.display import DisplayConfig
from argonet.errors import DataError, FormatError
from argonet.eval.segmentation import plane_metrics, summarise as segmentation_summary
from argonet.io import Larcv3File
from argonet.io.larcv3_layout import TRUTH_DTYPE, TRUTH_PATH, process_text
from argonet.viz.display import PLANE_NAMES, active_window
from argonet.viz.style import KIND_NAMES, SEMANTIC_NAMES

SUFFIXES = (".h5", ".hdf5", ".larcv3")
MAX_DISPLAY_PIXELS = 600
CHUNK_EVENTS = 256
DEFAULTS = DisplayConfig(file="-")
SEMANTIC_CLASSES = list(SEMANTIC_NAMES)


def data_files(root: Path, max_depth: int = 4) -> list[dict[str, Any]]:
    """Every larcv3-looking file under ``root``: relative name and size in MB (not opened)."""
    out = []
    root = root.resolve()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        deep = len(here.relative_to(root).parts) >= max_depth
        dirs[:] = [] if deep else sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                path = here / name
                out.append({"name": path.relative_to(root).as_posix(), "size_MB": path.stat().st_size / 1e6})
    return out


def event_table(path: Path) -> dict[str, Any]:
    """Per event: entry, run/subrun/event ids and argonet's truth (class, energy, vertex, cosmics) when stored."""
    with Larcv3File(path) as f:
        n, ids, products = len(f), np.asarray(f.event_ids), f.products
    rows: dict[str, Any] = {"entry": np.arange(n), "run": ids[:, 0], "subrun": ids[:, 1], "event": ids[:, 2]}
    try:
        with h5py.File(path, "r") as h5:
            table = h5.get(TRUTH_PATH)
            truth = table[:] if isinstance(table, h5py.Dataset) and table.dtype == TRUTH_DTYPE else None
    except OSError as err:
        raise FormatError(f"cannot read the truth table ({err})", file=str(path)) from None
    if truth is not None and len(truth) == n:
        rows["class"] = np.array([process_text(c) if k >= 0 else "" for c, k in zip(truth["class_name"],
                                                                                    truth["class_id"])])
        rows["E_nu_GeV"] = truth["nu_energy_GeV"]
        rows["vertex_cm"] = truth["vertex_cm"]
        rows["n_cosmics"] = truth["n_cosmics"]
    return {"n_events": n, "products": products, "columns": rows}


def event_rows(table: dict[str, Any], start: int, stop: int, entries: np.ndarray | None = None) -> list[dict]:
    """Rows ``start:stop`` of an event table (of ``entries`` when given) as plain dicts."""
    cols = table["columns"]
    picked = np.arange(table["n_events"]) if entries is None else entries
    out = []
    for i in picked[start:stop].tolist():
        row = {k: (v[i].tolist() if isinstance(v, np.ndarray) else v[i]) for k, v in cols.items()}
        out.append(row)
    return out


@dataclass
class PlaneRow:
    """One row of the event display: its title, label type ('' for charge) and one array per plane."""

    title: str
    kind: str
    images: list[np.ndarray]
    class_names: list[str] = field(default_factory=list)


@dataclass
class EventView:
    """What the event page draws: planes (names, cm geometry, display window, pooling) and rows."""

    entry: int
    title: str
    plane_names: list[str]
    windows: list[tuple[int, int]]       # first wire, first tick of each plane's window
    pool: list[int]                      # pixels pooled per display pixel (1: none)
    pixel_cm: list[tuple[float, float]]
    origin_cm: list[tuple[float, float]]
    rows: list[PlaneRow]
    truth: dict[str, Any] | None
    predictions: list[str]               # sparse2d producers that can be overlaid as predictions
    metrics: dict[str, Any] | None = None


def _pool(image: np.ndarray, factor: int) -> np.ndarray:
    """Max-pool by ``factor`` along both axes (the edges padded with zeros)."""
    if factor == 1:
        return image
    w, t = (-image.shape[0]) % factor, (-image.shape[1]) % factor
    padded = np.pad(image, ((0, w), (0, t)))
    return padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor).max(axis=(1, 3))


def prediction_producers(products: dict[str, list[str]]) -> list[str]:
    """sparse2d producers that are neither the charge nor the truth labels: candidates for predictions."""
    fixed = {DEFAULTS.charge, DEFAULTS.semantic, DEFAULTS.kind}
    return [p for p in products.get("sparse2d", []) if p not in fixed]


def _per_event_metrics(truth: list[np.ndarray], predicted: list[np.ndarray], names: list[str]) -> dict[str, Any]:
    """Pixel accuracy and IoU per plane of one event (charge pixels only), as ``argonet inference`` reports,
    and their mean over the planes that have pixels (the figure ``per_event_iou`` sorts by)."""
    k = len(SEMANTIC_CLASSES)
    cm = np.zeros((1, len(truth), k, k), dtype=np.int64)
    for p, (t, q) in enumerate(zip(truth, predicted)):
        mask = (t >= 0) & (t < k) & (q >= 0) & (q < k)
        cm[0, p] = np.bincount(t[mask].astype(np.int64) * k + q[mask].astype(np.int64), minlength=k * k).reshape(k, k)
    planes = segmentation_summary(cm, SEMANTIC_CLASSES, names)["planes"]
    metrics = next(iter(planes.values())).keys()
    mean = {}
    for m in metrics:
        values = [v[m] for v in planes.values() if v[m] is not None]
        mean[m] = float(np.mean(values)) if values else None
    return {**planes, "mean of planes": mean}


def event_view(path: Path, entry: int, prediction: str | None = None, zoom: bool = True) -> EventView:
    """Read one event's planes (charge, truth labels, an optional predicted label product)."""
    with Larcv3File(path) as f:
        if not 0 <= entry < len(f):
            raise DataError(f"event {entry} is past the end ({len(f)} events)")
        products = f.products.get("sparse2d", [])
        if DEFAULTS.charge not in products:
            raise FormatError(f"no sparse2d/{DEFAULTS.charge} charge product (has {products})", file=str(path))
        charge = f.sparse2d(DEFAULTS.charge, entry)
        dense = [c.dense() for c in charge]
        names = list(PLANE_NAMES) if len(charge) == 3 else [f"plane {i}" for i in range(len(charge))]
        rows = [PlaneRow("charge", "", dense)]
        for kind, producer, classes in (("semantic", DEFAULTS.semantic, SEMANTIC_NAMES),
                                        ("kind", DEFAULTS.kind, KIND_NAMES)):
            if producer in products:
                images = [s.dense() for s in f.sparse2d(producer, entry)]
                if len(images) == len(dense):
                    rows.append(PlaneRow(f"truth ({kind})", kind, images, list(classes)))
        metrics = None
        if prediction:
            if prediction not in products:
                raise DataError(f"no sparse2d product {prediction!r} in {path.name} (has {products})")
            predicted = [s.dense() for s in f.sparse2d(prediction, entry)]
            rows.append(PlaneRow(f"prediction ({prediction})", "semantic", predicted, list(SEMANTIC_NAMES)))
            if rows[1].kind == "semantic":
                metrics = _per_event_metrics([im[d > 0] for im, d in zip(rows[1].images, dense)],
                                             [im[d > 0] for im, d in zip(predicted, dense)], names)
        truth = f.truth(entry)
        ids = [int(v) for v in f.event_ids[entry]]
        candidates = prediction_producers(f.products)
    basis = rows[1].images if len(rows) > 1 else dense
    windows = active_window(basis) if zoom else [(slice(0, d.shape[0]), slice(0, d.shape[1])) for d in dense]
    pools = [max(1, -(-max(w.stop - w.start, t.stop - t.start) // MAX_DISPLAY_PIXELS)) for w, t in windows]
    for row in rows:
        row.images = [_pool(im[w, t], k) for im, (w, t), k in zip(row.images, windows, pools)]
    title = f"{path.name}  entry {entry}  (run {ids[0]}, subrun {ids[1]}, event {ids[2]})"
    return EventView(entry, title, names, [(w.start, t.start) for w, t in windows], pools,
                     [c.meta.pixel_cm for c in charge], [c.meta.origin_cm for c in charge], rows,
                     None if truth is None else asdict(truth), candidates, metrics)


def per_event_iou(path: Path, prediction: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Per event, the prediction's IoU against the truth labels (mean of the planes): entry, miou,
    cosmic_iou, neutrino_iou, accuracy, worst first (events without charge last)."""
    k = len(SEMANTIC_CLASSES)
    out: list[dict[str, Any]] = []
    with Larcv3File(path) as f:
        for producer in (DEFAULTS.semantic, prediction):
            if not f.has_product("sparse2d", producer):
                raise DataError(f"no sparse2d product {producer!r} in {path.name}")
        n = len(f) if limit is None else min(limit, len(f))
        for start in range(0, n, CHUNK_EVENTS):
            stop = min(n, start + CHUNK_EVENTS)
            truth = f.sparse2d_range(DEFAULTS.semantic, start, stop)
            predicted = f.sparse2d_range(prediction, start, stop)
            planes = truth.n_projections
            if planes is None or not np.array_equal(truth.voxel_offsets, predicted.voxel_offsets):
                raise FormatError(f"{prediction} does not label the same pixels as {DEFAULTS.semantic}",
                                  file=str(path))
            t = np.clip(truth.value.astype(np.int64), 0, k - 1)
            p = np.clip(predicted.value.astype(np.int64), 0, k - 1)
            rows = truth.voxel_rows()
            counts = np.bincount((rows * k + t) * k + p, minlength=len(truth.projection_id) * k * k)
            metrics = plane_metrics(counts.reshape(stop - start, planes, k, k))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)      # an event without charge: all planes NaN
                means = {m: np.nanmean(np.where(np.isfinite(v), v, np.nan), axis=1) for m, v in metrics.items()}
            for i in range(stop - start):
                out.append({"entry": start + i, **{m: (None if np.isnan(v[i]) else float(v[i]))
                                                   for m, v in means.items()}})
    return sorted(out, key=lambda r: (r["miou"] is None, r["miou"] if r["miou"] is not None else 0.0))
