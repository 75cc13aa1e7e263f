"""Figures of the full-readout realism report: per-plane distributions of the per-event quantities, simulated
against real (or against the real medians of a reference), and example events side by side on one colour scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)
from argonet.viz.compare import REAL_STYLE, draw_distribution

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: per plane, the per-event values of one quantity (None: no such sample)
PerPlane = Sequence[np.ndarray | None]


def _mark_reference(ax: Any, value: Any) -> None:
    """The reference median (a line) or range (a band) on a distribution panel."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        ax.axvspan(float(value[0]), float(value[1]), color=REAL_STYLE["color"], alpha=0.15, label="real (range)")
    else:
        ax.axvline(float(value), color=REAL_STYLE["color"], linewidth=2.2, label=f"real median {float(value):.4g}")
    ax.legend(fontsize=7, loc="upper right")


def plot_plane_distributions(quantities: Mapping[str, tuple[PerPlane, PerPlane, Sequence[Any]]],
                             labels: Mapping[str, str], planes: Sequence[str]) -> Figure:
    """A row per quantity, a column per plane: real and simulated per-event histograms, reference medians marked."""
    n_rows, n_cols = len(quantities), len(planes)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.4 * n_cols, 2.5 * n_rows), squeeze=False)
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.3 / n_rows, bottom=0.2 / n_rows, hspace=0.7, wspace=0.2)
    for col, plane in enumerate(planes):
        axes[0, col].set_title(f"plane {plane}", fontsize=13)
    for row, (name, (real, sim, reference)) in enumerate(quantities.items()):
        for col in range(n_cols):
            ax = axes[row, col]
            draw_distribution(ax, real[col], sim[col], labels[name], bins=20)
            if real[col] is None:
                _mark_reference(ax, reference[col])
        axes[row, 0].set_ylabel("fraction of events", fontsize=8)
    return fig


def max_pool(image: np.ndarray, factors: tuple[int, int] = (4, 2)) -> np.ndarray:
    """Largest value per block of factors pixels, so that single pixels survive drawing at screen resolution."""
    image = np.asarray(image, float)
    fw, ft = (f if image.shape[i] % f == 0 else 1 for i, f in enumerate(factors))
    return image.reshape(image.shape[0] // fw, fw, image.shape[1] // ft, ft).max(axis=(1, 3))


def plot_side_by_side(real: Sequence[np.ndarray] | None, sim: Sequence[np.ndarray], planes: Sequence[str],
                      titles: tuple[str, str] = ("real", "simulated")) -> Figure:
    """One event per sample, a row per plane (wire across, time up, max-pooled), on one logarithmic colour scale."""
    columns = [(titles[0], real), (titles[1], sim)] if real is not None else [(titles[1], sim)]
    stacked = np.concatenate([np.asarray(p).ravel() for _, images in columns for p in images])
    positive = stacked[stacked > 0]
    lo = max(float(positive.min()), 1.0) if len(positive) else 1.0
    hi = max(float(np.quantile(positive, 0.995)), lo * 2) if len(positive) else 2.0
    norm = LogNorm(vmin=lo, vmax=hi, clip=True)
    fig, axes = plt.subplots(len(planes), len(columns), figsize=(6.5 * len(columns), 4.3 * len(planes)),
                             squeeze=False)
    fig.subplots_adjust(left=0.07, right=0.9, top=0.96, bottom=0.05, hspace=0.3, wspace=0.15)
    shown = None
    for col, (title, images) in enumerate(columns):
        for row, plane in enumerate(planes):
            ax = axes[row, col]
            full = np.asarray(images[row])
            image = np.ma.masked_less_equal(max_pool(full), 0.0)
            shown = ax.imshow(image.T, origin="lower", cmap="viridis", norm=norm, interpolation="nearest",
                              aspect="auto", extent=(0, full.shape[0], 0, full.shape[1]))
            ax.set_facecolor("white")
            ax.set_title(f"{title}, plane {plane}")
            ax.set_xlabel("wire")
            ax.set_ylabel("time pixel")
    if shown is not None:
        fig.colorbar(shown, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02, label="charge (ADC)")
    return fig
