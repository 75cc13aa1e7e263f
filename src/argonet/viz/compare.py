"""Figures of the realism report: simulated against real per-event distributions and charge spectra in one grid,
and example events (arrays in, figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

REAL_STYLE = dict(color="black", label="real", linewidth=2.2)
SIM_STYLE = dict(color="#d62728", label="simulated", linewidth=1.2)
#: per-class samples of one quantity: class name → per-event values
Samples = Mapping[str, np.ndarray]


def draw_distribution(ax: Axes, real: np.ndarray | None, sim: np.ndarray | None, label: str, bins: int = 30,
                      log_x: bool = False) -> None:
    """Normalised histograms of a per-event quantity, real and simulated, medians dashed."""
    samples = [(np.asarray(v, float), style) for v, style in ((real, REAL_STYLE), (sim, SIM_STYLE)) if v is not None]
    finite = [(v[np.isfinite(v) & (v > 0 if log_x else True)], style) for v, style in samples]
    finite = [(v, style) for v, style in finite if len(v)]
    if not finite:
        ax.text(0.5, 0.5, "no events", ha="center", va="center", transform=ax.transAxes)
        return
    pooled = np.concatenate([v for v, _ in finite])
    lo, hi = float(pooled.min()), float(pooled.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.geomspace(lo, hi * 1.0001, bins + 1) if log_x else np.linspace(lo, hi, bins + 1)
    for values, style in finite:
        median = float(np.median(values))
        ax.stairs(np.histogram(values, edges)[0] / len(values), edges, color=style["color"],
                  linewidth=style["linewidth"], label=f"{style['label']} (n={len(values)}, median {median:.4g})")
        ax.axvline(median, color=style["color"], linestyle="--", linewidth=1)
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())      # crowded minor labels otherwise
    ax.set_xlabel(label)
    ax.legend(fontsize=7, loc="upper right")


def draw_spectrum(ax: Axes, edges: np.ndarray, real: Sequence[float] | None, sim: Sequence[float] | None,
                  label: str = "pixel charge") -> None:
    """Normalised pixel-charge spectra, real and simulated, log scale."""
    for density, style in ((real, REAL_STYLE), (sim, SIM_STYLE)):
        if density is not None and np.sum(density) > 0:
            ax.stairs(np.asarray(density, float), edges, **style)
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.legend(fontsize=7, loc="upper right")


def plot_realism(quantities: Mapping[str, tuple[Samples, Samples]], labels: Mapping[str, str],
                 spectra: tuple[np.ndarray, Samples, Samples], log_x: Sequence[str] = ()) -> Figure:
    """One grid: a row per per-event quantity, then the charge spectra; a column per class."""
    edges, real_spectra, sim_spectra = spectra
    classes = list(dict.fromkeys([c for real, sim in quantities.values() for c in (*real, *sim)]))
    n_rows, n_cols = len(quantities) + 1, max(len(classes), 1)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 2.9 * n_rows), squeeze=False)
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.35 / n_rows, bottom=0.25 / n_rows, hspace=0.55, wspace=0.22)
    for col, name in enumerate(classes):
        axes[0, col].set_title(name, fontsize=13)
        for row, (quantity, (real, sim)) in enumerate(quantities.items()):
            draw_distribution(axes[row, col], real.get(name), sim.get(name), labels[quantity],
                              log_x=quantity in log_x)
        draw_spectrum(axes[-1, col], edges, real_spectra.get(name), sim_spectra.get(name))
    for row in range(n_rows - 1):
        axes[row, 0].set_ylabel("fraction of events")
    axes[-1, 0].set_ylabel("fraction of pixels")
    return fig


def plot_examples(real: Mapping[str, np.ndarray | None], sim: Mapping[str, np.ndarray | None],
                  view: str = "") -> Figure:
    """One plane of one real and one simulated event per class (rows), wire across, time up."""
    classes = list(dict.fromkeys([*real, *sim]))
    fig, axes = plt.subplots(len(classes), 2, figsize=(7.6, 3.6 * len(classes)), squeeze=False)
    fig.subplots_adjust(left=0.1, right=0.97, top=1 - 0.3 / len(classes), bottom=0.25 / len(classes), hspace=0.35)
    for row, name in zip(axes, classes):
        for ax, data, title in ((row[0], real, "real"), (row[1], sim, "simulated")):
            image = data.get(name)
            ax.set_title(f"{name}, {title}" + (f" ({view})" if view else "") + ("" if image is not None else ": none"))
            if image is None:
                ax.set_axis_off()
                continue
            ax.imshow(np.asarray(image).T, origin="lower", cmap="viridis", interpolation="nearest",
                      vmin=0, vmax=max(float(np.max(image)), 1.0), aspect="auto")
            ax.set_xlabel("wire")
            ax.set_ylabel("time bin")
    return fig
