"""How alike two samples of wire-plane images are: per-event image statistics, per class, simulated against real.

Per event (all planes of a pixel map together, pixels with charge != 0):

* ``n_pixels``: number of non-zero pixels (all planes);
* ``extent_wires`` / ``extent_ticks``: span, in pixels, of the central 98 % of the non-zero pixels
  along the wire / time axis (1st to 99th percentile + 1, so a stray noise pixel does not count),
  per plane, then the median over the planes with pixels;
* ``width_ticks`` / ``width_wires``: mean length of the runs of consecutive non-zero pixels along
  the time axis on one wire (the time width of a track crossing a wire: diffusion and shaping) /
  along the wire axis at one time bin (the spread over wires);
* the charge spectrum: histogram of the non-zero pixel values in unit bins over 0.5..255.5 (the
  8-bit range of CVN maps), with the values outside counted as underflow and overflow.

Per class the summary holds, for each per-event quantity, the median and the 16th/84th
percentiles, and the normalised spectrum with its median. The comparison gives sim/real ratios of
the medians, whether each is within the tolerance, and the Kolmogorov distance of the spectra
(largest difference of the two cumulative distributions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

QUANTITIES = ("n_pixels", "extent_wires", "extent_ticks", "width_ticks", "width_wires")
LABELS = {"n_pixels": "non-zero pixels per event", "extent_wires": "event extent [wires]",
          "extent_ticks": "event extent [time bins]", "width_ticks": "track width [time bins]",
          "width_wires": "track width [wires]", "charge": "pixel charge"}
CHARGE_EDGES = np.arange(0.5, 256.0, 1.0)
EXTENT_QUANTILES = (0.01, 0.99)


def _runs(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """Lengths of runs of consecutive ``minor`` values at equal ``major``, pixels sorted by (major, minor)."""
    if not len(major):
        return np.zeros(0, np.int64)
    breaks = (np.diff(major) != 0) | (np.diff(minor) != 1)
    starts = np.concatenate([[0], np.flatnonzero(breaks) + 1, [len(major)]])
    return np.diff(starts)


def plane_pixels(ids: np.ndarray, n_ticks: int) -> tuple[np.ndarray, np.ndarray]:
    """(wire, tick) of flat C-order pixel ids over a (wires, ticks) plane."""
    return np.divmod(np.asarray(ids, np.int64), n_ticks)


def event_statistics(planes: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, float]:
    """The per-event quantities of one event given, per plane, (wire, tick, value) of its non-zero pixels."""
    n_pixels, extents, widths_t, widths_w = 0, [], [], []
    for wire, tick, value in planes:
        keep = value != 0
        wire, tick = np.asarray(wire, np.int64)[keep], np.asarray(tick, np.int64)[keep]
        n_pixels += len(wire)
        if not len(wire):
            continue
        extents.append([np.diff(np.quantile(axis, EXTENT_QUANTILES))[0] + 1 for axis in (wire, tick)])
        order = np.lexsort((tick, wire))
        widths_t.append(_runs(wire[order], tick[order]))
        order = np.lexsort((wire, tick))
        widths_w.append(_runs(tick[order], wire[order]))
    if not n_pixels:
        return {"n_pixels": 0.0, **{q: float("nan") for q in QUANTITIES[1:]}}
    extents = np.median(np.asarray(extents), axis=0)
    return {"n_pixels": float(n_pixels), "extent_wires": float(extents[0]), "extent_ticks": float(extents[1]),
            "width_ticks": float(np.mean(np.concatenate(widths_t))),
            "width_wires": float(np.mean(np.concatenate(widths_w)))}


def dense_planes(image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(wire, tick, value) of the non-zero pixels of each plane of a dense (planes, wires, ticks) array."""
    out = []
    for plane in image:
        wire, tick = np.nonzero(plane)
        out.append((wire, tick, plane[wire, tick]))
    return out


@dataclass
class ClassSample:
    """Per-event quantities and the pooled charge histogram of one class of one sample."""

    values: dict[str, list[float]] = field(default_factory=lambda: {q: [] for q in QUANTITIES})
    spectrum: np.ndarray = field(default_factory=lambda: np.zeros(len(CHARGE_EDGES) - 1, np.int64))
    underflow: int = 0
    overflow: int = 0

    def add(self, planes: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Account one event (per plane: wire, tick, value of its non-zero pixels)."""
        for name, value in event_statistics(planes).items():
            self.values[name].append(value)
        charge = np.concatenate([np.asarray(v, np.float64) for _, _, v in planes]) if planes else np.zeros(0)
        charge = charge[charge != 0]
        self.spectrum += np.histogram(charge, CHARGE_EDGES)[0]
        self.underflow += int((charge < CHARGE_EDGES[0]).sum())
        self.overflow += int((charge >= CHARGE_EDGES[-1]).sum())

    @property
    def n_events(self) -> int:
        """Events accounted."""
        return len(self.values["n_pixels"])

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-event values of every quantity as arrays (NaN where an event had no pixel)."""
        return {q: np.asarray(v, np.float64) for q, v in self.values.items()}

    def summary(self) -> dict:
        """Median, 16th and 84th percentiles per quantity; normalised spectrum and its median charge."""
        out: dict = {"n_events": self.n_events}
        for name, values in self.arrays().items():
            values = values[np.isfinite(values)]
            out[name] = ({"median": float(np.median(values)), "p16": float(np.quantile(values, 0.16)),
                          "p84": float(np.quantile(values, 0.84))} if len(values) else None)
        total = int(self.spectrum.sum())
        k = int(np.searchsorted(np.cumsum(self.spectrum) / max(total, 1), 0.5))     # bin holding the median
        out["charge"] = {"median": float(0.5 * (CHARGE_EDGES[k] + CHARGE_EDGES[k + 1])) if total else None,
                         "n_pixels": total, "underflow": self.underflow, "overflow": self.overflow,
                         "density": (self.spectrum / max(total, 1)).tolist()}
        return out


def kolmogorov_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference of the cumulative distributions of two histograms on the same bins."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return float("nan")
    return float(np.max(np.abs(np.cumsum(a) / a.sum() - np.cumsum(b) / b.sum())))


def compare_samples(real: dict[str, ClassSample], sim: dict[str, ClassSample], tolerance: float) -> dict:
    """Per class: both summaries, sim/real ratio of each median, whether it is within ``tolerance``, and
    the Kolmogorov distance of the charge spectra; ``agree`` when every shared class's pixel count agrees."""
    classes = [c for c in real if c in sim] + [c for c in real if c not in sim] + [c for c in sim if c not in real]
    report: dict = {"tolerance": tolerance, "classes": {}}
    for name in classes:
        a = real[name].summary() if name in real else None
        b = sim[name].summary() if name in sim else None
        entry: dict = {"real": a, "sim": b, "ratio": {}, "within": {}}
        if a is not None and b is not None:
            for q in (*QUANTITIES, "charge"):
                ra, rb = (a[q] or {}).get("median"), (b[q] or {}).get("median")
                ratio = rb / ra if ra and rb is not None else None
                entry["ratio"][q] = ratio
                entry["within"][q] = ratio is not None and abs(ratio - 1.0) <= tolerance
            entry["charge_kolmogorov"] = kolmogorov_distance(real[name].spectrum, sim[name].spectrum)
        report["classes"][name] = entry
    shared = [e for e in report["classes"].values() if e["real"] and e["sim"]]
    report["agree"] = bool(shared) and all(e["within"]["n_pixels"] for e in shared)
    return report


def _cell(summary: dict | None, quantity: str) -> str:
    """'median' of a quantity in a table cell, or a dash."""
    value = (summary or {}).get(quantity) or {}
    return "–" if value.get("median") is None else f"{value['median']:.4g}"


def markdown_table(report: dict) -> str:
    """The comparison as a markdown table: per class and quantity, real and simulated medians and their ratio."""
    lines = [f"| class | quantity | real | sim | sim/real | within {report['tolerance']:.0%} |",
             "|---|---|---|---|---|---|"]
    for name, entry in report["classes"].items():
        n_real = (entry["real"] or {}).get("n_events", 0)
        n_sim = (entry["sim"] or {}).get("n_events", 0)
        lines.append(f"| {name} | events | {n_real} | {n_sim} | | |")
        for q in (*QUANTITIES, "charge"):
            ratio = entry["ratio"].get(q)
            within = entry["within"].get(q)
            lines.append(f"| | {LABELS[q]} (median) | {_cell(entry['real'], q)} | {_cell(entry['sim'], q)} | "
                         f"{'–' if ratio is None else f'{ratio:.3f}'} | "
                         f"{'' if within is None else 'yes' if within else '**no**'} |")
        if entry.get("charge_kolmogorov") is not None:
            lines.append(f"| | charge spectra, Kolmogorov distance | | | {entry['charge_kolmogorov']:.3f} | |")
    verdict = "agree" if report["agree"] else "do NOT agree"
    lines.append("")
    lines.append(f"Median non-zero pixels per event {verdict} within {report['tolerance']:.0%} in every class "
                 "present in both samples.")
    return "\n".join(lines)
