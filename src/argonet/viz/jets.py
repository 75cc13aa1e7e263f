"""Figures of jet samples: mass per class with the W, Z and top masses marked, substructure
distributions, and the average jet image of each class (arrays in, figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from argonet.units import top_quark_mass_GeV, w_boson_mass_GeV, z_boson_mass_GeV  # noqa: E402

CLASS_COLOURS = ("#1f77b4", "#17becf", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#7f7f7f")
MASS_MARKS = {"W": w_boson_mass_GeV, "Z": z_boson_mass_GeV, "top": top_quark_mass_GeV}


def _hist_by_class(ax, values: np.ndarray, labels: np.ndarray, class_names: Sequence[str], bins: np.ndarray) -> None:
    """Unit-area step histograms of ``values``, one per class."""
    for i, name in enumerate(class_names):
        chosen = values[labels == i]
        if len(chosen):
            ax.hist(np.clip(chosen, bins[0], bins[-1]), bins=bins, density=True, histtype="step", lw=2,
                    color=CLASS_COLOURS[i % len(CLASS_COLOURS)], label=f"{name} ({len(chosen)})")


def plot_mass_by_class(masses: Mapping[str, np.ndarray], labels: np.ndarray, class_names: Sequence[str],
                       max_GeV: float = 300.0, title: str = "") -> Figure:
    """One panel per mass definition (title -> masses in GeV): unit-area histograms per class, with the
    PDG W, Z and top masses as dashed lines."""
    bins = np.linspace(0.0, max_GeV, 61)
    fig, axes = plt.subplots(1, len(masses), figsize=(6.4 * len(masses), 5.0), layout="constrained", squeeze=False)
    for ax, (name, values) in zip(axes[0], masses.items()):
        _hist_by_class(ax, np.asarray(values), np.asarray(labels), class_names, bins)
        for mark, mass in MASS_MARKS.items():
            ax.axvline(mass, ls="--", lw=1, color="grey")
            ax.text(mass - 1, ax.get_ylim()[1] * 0.98, f"{mark} {mass:.1f}", rotation=90, ha="right", va="top",
                    fontsize=9, color="grey")
        ax.set_xlabel(f"{name} [GeV]", fontsize=13)
        ax.set_ylabel("fraction of jets per GeV", fontsize=13)
        ax.set_xlim(0, max_GeV)
        ax.legend(fontsize=10, loc="upper right", bbox_to_anchor=(1.0, 0.85))
    if title:
        fig.suptitle(title, fontsize=14)
    return fig


def plot_features_by_class(features: Mapping[str, tuple[np.ndarray, tuple[float, float]]], labels: np.ndarray,
                           class_names: Sequence[str], columns: int = 3) -> Figure:
    """A grid of unit-area histograms per class, one panel per feature (name -> (values, (low, high)))."""
    rows = -(-len(features) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.0 * columns, 4.0 * rows), layout="constrained", squeeze=False)
    for ax, (name, (values, (low, high))) in zip(axes.flat, features.items()):
        _hist_by_class(ax, np.asarray(values), np.asarray(labels), class_names, np.linspace(low, high, 41))
        ax.set_xlabel(name, fontsize=13)
    for ax in list(axes.flat)[len(features):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=9)
    return fig


def plot_mean_images(images: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                     half_width: float = 0.8, unit: str = "pT per jet [GeV]") -> Figure:
    """The average image of each class on a log colour scale, in (y', phi') around the centre."""
    fig, axes = plt.subplots(1, len(class_names), figsize=(3.6 * len(class_names), 3.6), layout="constrained",
                             squeeze=False)
    means = [np.asarray(images)[np.asarray(labels) == i].mean(axis=0) for i in range(len(class_names))]
    positive = np.concatenate([m[m > 0] for m in means if np.any(m > 0)] or [np.ones(1)])
    norm = LogNorm(vmin=max(positive.min(), positive.max() * 1e-5), vmax=positive.max())
    for ax, name, mean in zip(axes[0], class_names, means):
        shown = ax.imshow(np.where(mean > 0, mean, np.nan), origin="lower", norm=norm, cmap="viridis",
                          extent=(-half_width, half_width, -half_width, half_width))
        ax.set_title(name, fontsize=13)
        ax.set_xlabel("rapidity y'")
    axes[0][0].set_ylabel("phi'")
    fig.colorbar(shown, ax=axes[0].tolist(), label=unit, shrink=0.9)
    return fig
