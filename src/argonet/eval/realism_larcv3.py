"""How alike two samples of SBND-style full readouts are (CosmicTagger layout: 3 planes of wire × time
pixels labelled 0 background, 1 cosmic, 2 neutrino), per plane, simulated against real.

Per event and plane, over the *stored* pixels (charge ≥ ``STORED_MIN_ADC``; "ticks" are the image's
time pixels):

* ``stored_pixels``, ``background_pixels``, ``cosmic_pixels``, ``neutrino_pixels``: pixel counts;
* ``charge_p10`` / ``charge_p50`` / ``charge_p90``: charge quantiles of all stored pixels, ``charge_min``;
* ``cosmic_charge`` / ``neutrino_charge``: median charge of the cosmic / neutrino pixels;
* ``isolated_background``: fraction of background pixels without a stored pixel among their 8 neighbours;
* ``halo_fraction``: fraction of background pixels within ±2 wires and ±3 ticks of a labelled pixel
  (the unlabelled charge hugging tracks that signal processing leaves);
* ``far_background``: background pixels with no labelled pixel within ±5 wires and ±10 ticks;
* ``background_wires_half``: fewest wires holding half of the background pixels (patchy noise: few);
* ``cosmic_run_ticks``: mean length of the runs of consecutive ticks of cosmic pixels on one wire;
* ``cosmic_tracks``: connected groups (8-neighbours, gaps of one pixel bridged) of at least
  ``TRACK_MIN_PIXELS`` cosmic pixels, a count of the visible cosmic tracks.

A sample is summarised per plane by the median over events (NaN-free: an event without cosmic or
neutrino pixels on a plane does not vote for their charge). A reference is the same summary read
from a JSON file; where a reference gives a range [lo, hi] instead of a value, the ratio is taken to
its middle and a value agrees when it is within the tolerance of the range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from argonet.errors import DataError, FormatError

STORED_MIN_ADC = 5.0
HALO_WIRES, HALO_TICKS = 2, 3
FAR_WIRES, FAR_TICKS = 5, 10
TRACK_MIN_PIXELS = 50
PLANE_NAMES = ("U", "V", "Y")
QUANTITIES: dict[str, str] = {
    "stored_pixels": "stored pixels (charge ≥ 5)",
    "background_pixels": "background-labelled pixels",
    "cosmic_pixels": "cosmic pixels",
    "neutrino_pixels": "neutrino pixels",
    "charge_p10": "charge p10, stored pixels",
    "charge_p50": "charge p50, stored pixels",
    "charge_p90": "charge p90, stored pixels",
    "charge_min": "smallest stored charge",
    "cosmic_charge": "median charge of cosmic pixels",
    "neutrino_charge": "median charge of neutrino pixels",
    "isolated_background": "background pixels with no stored 8-neighbour (fraction)",
    "halo_fraction": "background within ±2 wires, ±3 ticks of a labelled pixel (fraction)",
    "far_background": "background pixels far from any track (±5 wires, ±10 ticks)",
    "background_wires_half": "wires holding half of the background pixels",
    "cosmic_run_ticks": "run of consecutive ticks of a cosmic on one wire",
    "cosmic_tracks": "visible cosmic tracks",
}
REFERENCES_DIR = Path(__file__).parent / "references"
#: named references (``real=reference:NAME``): committed JSON summaries of real samples
REFERENCES = {"sbnd": "sbnd_cosmic_tagging.json"}


def _near(mask: np.ndarray, half_wires: int, half_ticks: int) -> np.ndarray:
    """Whether mask holds a True pixel within ±half_wires, ±half_ticks of each pixel (separable max filter)."""
    grown = ndimage.maximum_filter1d(mask.view(np.uint8), 2 * half_wires + 1, axis=0, mode="constant")
    return ndimage.maximum_filter1d(grown, 2 * half_ticks + 1, axis=1, mode="constant").view(bool)


def _neighbour_count(mask: np.ndarray, wire: np.ndarray, tick: np.ndarray) -> np.ndarray:
    """Number of True pixels of mask among the 8 neighbours of each (wire, tick)."""
    padded = np.pad(mask, 1).view(np.uint8)
    count = np.zeros(len(wire), np.int64)
    for dw in (-1, 0, 1):
        for dt in (-1, 0, 1):
            if dw or dt:
                count += padded[wire + 1 + dw, tick + 1 + dt]
    return count


def _run_lengths(wire: np.ndarray, tick: np.ndarray) -> np.ndarray:
    """Lengths of runs of consecutive ticks on one wire, pixels sorted by (wire, tick)."""
    if not len(wire):
        return np.zeros(0, np.int64)
    breaks = (np.diff(wire) != 0) | (np.diff(tick) != 1)
    return np.diff(np.concatenate([[0], np.flatnonzero(breaks) + 1, [len(wire)]]))


def _wires_for_half(wire: np.ndarray, n_wires: int) -> float:
    """Fewest wires whose pixels add up to at least half of all the pixels listed (0 when none)."""
    if not len(wire):
        return 0.0
    counts = np.sort(np.bincount(wire, minlength=n_wires))[::-1]
    return float(np.searchsorted(np.cumsum(counts), 0.5 * len(wire)) + 1)


def _track_count(cosmic: np.ndarray) -> float:
    """Connected groups of cosmic pixels (one-pixel gaps bridged) with at least TRACK_MIN_PIXELS pixels."""
    if not cosmic.any():
        return 0.0
    groups, n = ndimage.label(_near(cosmic, 1, 1), np.ones((3, 3), int))
    sizes = np.bincount(groups[cosmic], minlength=n + 1)[1:]
    return float(np.sum(sizes >= TRACK_MIN_PIXELS))


def _median(values: np.ndarray) -> float:
    """Median, NaN for no values."""
    return float(np.median(values)) if len(values) else math.nan


def plane_statistics(ids: np.ndarray, values: np.ndarray, labels: np.ndarray,
                     shape: tuple[int, int]) -> dict[str, float]:
    """Every quantity of QUANTITIES for one plane: flat C-order pixel ids over (wires, ticks), charge, label."""
    ids, values, labels = np.asarray(ids, np.int64), np.asarray(values, np.float64), np.asarray(labels)
    if not (len(ids) == len(values) == len(labels)):
        raise DataError(f"plane of {len(ids)} pixels has {len(values)} charges and {len(labels)} labels")
    keep = values >= STORED_MIN_ADC
    order = np.argsort(ids[keep], kind="stable")
    ids, values, labels = ids[keep][order], values[keep][order], np.rint(labels[keep][order]).astype(np.int64)
    wire, tick = np.divmod(ids, shape[1])
    background, cosmic, neutrino = labels == 0, labels == 1, labels == 2
    stored = np.zeros(shape, bool)
    stored[wire, tick] = True
    labelled = np.zeros(shape, bool)
    labelled[wire[~background], tick[~background]] = True
    bw, bt = wire[background], tick[background]
    neighbours = _neighbour_count(stored, bw, bt)
    halo = _near(labelled, HALO_WIRES, HALO_TICKS)[bw, bt]
    far = ~_near(labelled, FAR_WIRES, FAR_TICKS)[bw, bt]
    cosmic_mask = np.zeros(shape, bool)
    cosmic_mask[wire[cosmic], tick[cosmic]] = True
    p10, p50, p90 = np.quantile(values, (0.1, 0.5, 0.9)) if len(values) else (math.nan,) * 3
    n_bg = int(background.sum())
    runs = _run_lengths(wire[cosmic], tick[cosmic])
    return {
        "stored_pixels": float(len(values)), "background_pixels": float(n_bg),
        "cosmic_pixels": float(cosmic.sum()), "neutrino_pixels": float(neutrino.sum()),
        "charge_p10": float(p10), "charge_p50": float(p50), "charge_p90": float(p90),
        "charge_min": float(values.min()) if len(values) else math.nan,
        "cosmic_charge": _median(values[cosmic]), "neutrino_charge": _median(values[neutrino]),
        "isolated_background": float(np.mean(neighbours == 0)) if n_bg else math.nan,
        "halo_fraction": float(np.mean(halo)) if n_bg else math.nan,
        "far_background": float(far.sum()),
        "background_wires_half": _wires_for_half(bw, shape[0]),
        "cosmic_run_ticks": float(runs.mean()) if len(runs) else math.nan,
        "cosmic_tracks": _track_count(cosmic_mask),
    }


@dataclass
class PlaneSample:
    """Per-event statistics of a sample of full readouts, one list of dicts per plane."""

    events: list[list[dict[str, float]]] = field(default_factory=list)   # [event][plane] -> quantity -> value

    def add(self, planes: Sequence[dict[str, float]]) -> None:
        """Append one event's per-plane statistics."""
        if self.events and len(planes) != len(self.events[0]):
            raise DataError(f"event with {len(planes)} planes in a sample of {len(self.events[0])}-plane events")
        self.events.append(list(planes))

    @property
    def n_events(self) -> int:
        """Number of events added."""
        return len(self.events)

    def values(self, quantity: str, plane: int) -> np.ndarray:
        """Per-event values of one quantity on one plane (NaN where undefined)."""
        return np.array([event[plane][quantity] for event in self.events], np.float64)

    def medians(self) -> dict[str, list[float | None]]:
        """quantity -> per-plane median over the events where it is defined (None where never)."""
        n_planes = len(self.events[0]) if self.events else 0
        out: dict[str, list[float | None]] = {}
        for q in QUANTITIES:
            per_plane = []
            for p in range(n_planes):
                v = self.values(q, p)
                v = v[np.isfinite(v)]
                per_plane.append(float(np.median(v)) if len(v) else None)
            out[q] = per_plane
        return out


def neutrino_sample(pdg: np.ndarray, current_type: np.ndarray, energy_GeV: np.ndarray) -> dict[str, float | int]:
    """What the neutrino sample is, from each event's neutrino (pdg, current 0 = CC, energy in GeV)."""
    pdg, current, energy = np.abs(np.asarray(pdg)), np.asarray(current_type), np.asarray(energy_GeV, np.float64)
    if not len(pdg):
        return {"n_events": 0}
    p16, p50, p84 = np.quantile(energy, (0.16, 0.5, 0.84))
    return {"n_events": int(len(pdg)), "cc_fraction": float(np.mean(current == 0)),
            "nue_fraction": float(np.mean(pdg == 12)), "energy_GeV_p16": float(p16), "energy_GeV_median": float(p50),
            "energy_GeV_p84": float(p84)}


def load_reference(name_or_path: str) -> dict[str, Any]:
    """A committed reference summary by name (``sbnd``) or a JSON file of the same layout."""
    path = REFERENCES_DIR / REFERENCES[name_or_path] if name_or_path in REFERENCES else Path(name_or_path)
    if not path.is_file():
        raise FormatError(f"no reference {name_or_path!r} (named ones: {', '.join(REFERENCES)})", file=str(path))
    try:
        ref = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise FormatError(f"not JSON ({err.msg}, line {err.lineno})", file=str(path)) from None
    unknown = set(ref.get("medians", {})) - set(QUANTITIES)
    if "medians" not in ref or unknown:
        raise FormatError(f"reference needs 'medians' of known quantities (unknown: {sorted(unknown)})",
                          file=str(path))
    return ref


def _centre(value: Any) -> float | None:
    """A reference value, or the middle of a [lo, hi] range."""
    if value is None:
        return None
    return 0.5 * (float(value[0]) + float(value[1])) if isinstance(value, (list, tuple)) else float(value)


def agrees(real: Any, sim: float | None, tolerance: float) -> bool | None:
    """Whether sim is within tolerance of the real value (or range); None when either is missing."""
    if real is None or sim is None:
        return None
    lo, hi = (float(real[0]), float(real[1])) if isinstance(real, (list, tuple)) else (float(real),) * 2
    if lo == hi == 0.0:
        return sim == 0.0
    return lo * (1 - tolerance) <= sim <= hi * (1 + tolerance)


def compare_medians(real: Mapping[str, Sequence[Any]], sim: Mapping[str, Sequence[float | None]],
                    tolerance: float) -> dict[str, Any]:
    """Per quantity and plane: real, sim, sim/real and whether they agree; plus the count that agree."""
    rows: dict[str, list[dict[str, Any]]] = {}
    n_checked = n_ok = 0
    for q in QUANTITIES:
        if q not in real or q not in sim:
            continue
        rows[q] = []
        for r, s in zip(real[q], sim[q]):
            centre = _centre(r)
            ratio = s / centre if s is not None and centre else None
            ok = agrees(r, s, tolerance)
            n_checked += ok is not None
            n_ok += bool(ok)
            rows[q].append({"real": r, "sim": s, "ratio": ratio, "within": ok})
    return {"tolerance": tolerance, "quantities": rows, "n_checked": n_checked, "n_within": n_ok}


def _fmt(value: Any) -> str:
    """A table cell: ranges as lo–hi, numbers to 3-4 significant figures."""
    if value is None:
        return "–"
    if isinstance(value, (list, tuple)):
        return "–".join(_fmt(v) for v in value)
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def markdown_table(comparison: Mapping[str, Any], planes: Sequence[str] = PLANE_NAMES) -> str:
    """The comparison as a Markdown table: a row per quantity, real / sim / ratio per plane."""
    head = "| quantity | " + " | ".join(f"{p} real | {p} sim | {p} sim/real" for p in planes) + " |"
    lines = [head, "|---|" + "---|---|---|" * len(planes)]
    for q, cells in comparison["quantities"].items():
        parts = []
        for c in cells:
            flag = "" if c["within"] is None else (" ✓" if c["within"] else " ✗")
            ratio = "–" if c["ratio"] is None else f"{c['ratio']:.2f}{flag}"
            parts.append(f"{_fmt(c['real'])} | {_fmt(c['sim'])} | {ratio}")
        lines.append(f"| {QUANTITIES[q]} | " + " | ".join(parts) + " |")
    lines.append("")
    lines.append(f"{comparison['n_within']} of {comparison['n_checked']} within "
                 f"{100 * comparison['tolerance']:.0f} % (✓ within, ✗ not)")
    return "\n".join(lines)
