"""Figures of a hyper-parameter sweep: optimisation history, parameter importances, parallel
coordinates and the Pareto front (arrays in, figures out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def plot_history(numbers: Sequence[int], values: Sequence[float], best_so_far: Sequence[float], objective: str,
                 pruned: Sequence[bool] | None = None) -> Figure:
    """Objective of each finished trial (pruned ones hollow, at their last reported value) and the best so far."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    x, y = np.asarray(numbers), np.asarray(values, dtype=float)
    cut = np.zeros(len(x), bool) if pruned is None else np.asarray(pruned, bool)
    ax.plot(x[~cut], y[~cut], "o", color="tab:blue", label="trial")
    if cut.any():
        ax.plot(x[cut], y[cut], "o", mfc="none", color="tab:gray", label="pruned")
    ax.step(x, best_so_far, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.legend(frameon=False)
    ax.set_title("optimisation history")
    return fig


def plot_importances(names: Sequence[str], importances: Sequence[float], objective: str) -> Figure:
    """Horizontal bars of each parameter's share of the objective's variance (fANOVA), largest on top."""
    order = np.argsort(importances)
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.45 * max(len(names), 1)), layout="constrained")
    ax.barh([names[i] for i in order], [importances[i] for i in order], color="tab:blue")
    ax.set_xlabel(f"importance for {objective}")
    ax.set_xlim(0, 1)
    ax.set_title("parameter importances")
    return fig


def plot_parallel(names: Sequence[str], scaled: np.ndarray, ends: Sequence[tuple[str, str]], values: Sequence[float],
                  objective: str) -> Figure:
    """One line per trial across the parameters (each axis scaled to [0, 1], its ends labelled by
    ``ends``), coloured by the objective."""
    scaled = np.atleast_2d(np.asarray(scaled, dtype=float))
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(names), 4.2), layout="constrained")
    norm = plt.Normalize(np.nanmin(values), np.nanmax(values)) if len(values) else plt.Normalize(0, 1)
    cmap = plt.get_cmap("viridis")
    x = np.arange(len(names))
    for row, value in zip(scaled, values):
        ax.plot(x, row, color=cmap(norm(value)), alpha=0.8, lw=1.5)
    for i, (low, high) in enumerate(ends):
        ax.axvline(i, color="black", lw=0.8)
        ax.text(i, -0.06, low, ha="center", va="top", fontsize=8)
        ax.text(i, 1.06, high, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names, rotation=15)
    ax.set_ylim(-0.2, 1.2)
    ax.set_yticks([])
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=objective)
    ax.set_title("parallel coordinates", pad=18)
    return fig


def plot_pareto(x: Sequence[float], y: Sequence[float], on_front: Sequence[bool], labels: tuple[str, str],
                numbers: Sequence[int] | None = None) -> Figure:
    """Trials in the plane of two objectives; the Pareto-optimal ones highlighted and joined."""
    x, y, front = np.asarray(x, float), np.asarray(y, float), np.asarray(on_front, bool)
    fig, ax = plt.subplots(figsize=(6.0, 4.4), layout="constrained")
    ax.plot(x[~front], y[~front], "o", color="tab:gray", alpha=0.6, label="trial")
    order = np.argsort(x[front])
    ax.plot(x[front][order], y[front][order], "o-", color="tab:red", label="Pareto front")
    if numbers is not None:
        for xi, yi, n in zip(x[front], y[front], np.asarray(numbers)[front]):
            ax.annotate(str(n), (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(frameon=False)
    ax.set_title("Pareto front")
    return fig
