"""Slide-quality figures of classification results: confusion matrices and ROC curves (arrays in, figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def draw_confusion(ax: Axes, counts: np.ndarray, class_names: Sequence[str], title: str = "") -> None:
    """Row-normalised colours; each cell reads 'fraction' over '(count)'; rows true, columns predicted."""
    counts = np.asarray(counts, dtype=np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    n = len(class_names)
    size = 13 if n <= 4 else 10 if n <= 8 else 7
    for i in range(n):
        for j in range(n):
            colour = "white" if fractions[i, j] > 0.5 else "black"
            ax.text(j, i, f"{fractions[i, j]:.2f}\n({counts[i, j]})", ha="center", va="center",
                    fontsize=size, color=colour)
    ax.set_xticks(range(n), class_names, rotation=30 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_yticks(range(n), [f"{c}\n(n={int(t)})" for c, t in zip(class_names, totals[:, 0])])
    ax.set_xlabel("predicted class", fontsize=13)
    ax.set_ylabel("true class", fontsize=13)
    ax.tick_params(labelsize=12)
    if title:
        ax.set_title(f"{title}: accuracy {np.trace(counts) / max(counts.sum(), 1):.3f}", fontsize=14)


def plot_confusion(counts: np.ndarray, class_names: Sequence[str], title: str = "") -> Figure:
    """One confusion matrix (counts and row-normalised fractions) as a figure."""
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(2.2 + 1.4 * n, 1.8 + 1.3 * n), layout="constrained")
    draw_confusion(ax, counts, class_names, title)
    return fig


def plot_confusion_pair(matrices: Sequence[np.ndarray], titles: Sequence[str], class_names: Sequence[str]) -> Figure:
    """Confusion matrices side by side (e.g. before and after fine-tuning) on the same classes."""
    n = len(class_names)
    fig, axes = plt.subplots(1, len(matrices), figsize=(len(matrices) * (2.2 + 1.4 * n), 1.8 + 1.3 * n),
                             layout="constrained", squeeze=False)
    for ax, counts, title in zip(axes[0], matrices, titles):
        draw_confusion(ax, counts, class_names, title)
    return fig


def plot_confusions_and_roc(matrices: Sequence[np.ndarray], titles: Sequence[str], class_names: Sequence[str],
                            curves: Mapping[str, tuple[np.ndarray, np.ndarray]], aucs: Mapping[str, float],
                            roc_title: str = "", dashed: Sequence[str] = ()) -> Figure:
    """Confusion matrices side by side and, in the last panel, ROC curves of the same models (e.g. one class each)."""
    n = len(class_names)
    side = 1.6 + 1.1 * n
    fig, axes = plt.subplots(1, len(matrices) + 1, figsize=((len(matrices) + 1) * (side + 0.6), side + 0.4),
                             layout="constrained", squeeze=False)
    for ax, counts, title in zip(axes[0], matrices, titles):
        draw_confusion(ax, counts, class_names, title)
    draw_roc(axes[0, -1], curves, aucs, roc_title, dashed)
    return fig


def plot_roc(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], aucs: Mapping[str, float] | None = None,
             title: str = "") -> Figure:
    """ROC curves: signal efficiency against background efficiency, one line per name, AUC in the legend."""
    fig, ax = plt.subplots(figsize=(6.4, 5.6), layout="constrained")
    draw_roc(ax, curves, aucs, title)
    return fig


def draw_roc(ax: Axes, curves: Mapping[str, tuple[np.ndarray, np.ndarray]], aucs: Mapping[str, float] | None = None,
             title: str = "", dashed: Sequence[str] = ()) -> None:
    """ROC curves on ``ax`` (names in ``dashed`` drawn dashed, e.g. a reference), AUC in the legend."""
    for name, (signal_eff, background_eff) in curves.items():
        label = f"{name} (AUC {aucs[name]:.3f})" if aucs and name in aucs else name
        ax.plot(background_eff, signal_eff, lw=2, label=label, ls="--" if name in dashed else "-")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="random")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("background efficiency", fontsize=13)
    ax.set_ylabel("signal efficiency", fontsize=13)
    ax.tick_params(labelsize=12)
    ax.legend(fontsize=11, loc="lower right")
    if title:
        ax.set_title(title, fontsize=14)


def save_figure(fig: Figure, path: str) -> None:
    """Write a PNG at slide resolution and release the figure's memory."""
    fig.savefig(path, dpi=150)
    plt.close(fig)
