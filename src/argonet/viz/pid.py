"""Particle-identification figures: efficiency against true energy, pairwise ROC curves with the fake rate
at 90 % signal efficiency, and displays of misclassified events (arrays in, figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def plot_efficiency_vs_energy(series: Mapping[str, Mapping[str, np.ndarray]], class_names: Sequence[str],
                              energy_label: str = "true kinetic energy (MeV)") -> Figure:
    """One panel per class; one line with binomial error bars per series (e.g. plane 0, plane 1, combined)
    of ``eval.pid.efficiency_vs_energy`` outputs."""
    n = len(class_names)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.6), layout="constrained", squeeze=False, sharey=True)
    for c, (ax, name) in enumerate(zip(axes[0], class_names)):
        for label, result in series.items():
            edges = np.asarray(result["bin_edges"], float)
            centres, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
            ax.errorbar(centres, result["efficiency"][c], xerr=half, yerr=result["error"][c], fmt="o", ms=3,
                        capsize=2, label=label)
        ax.set_title(name, fontsize=12)
        ax.set_xlabel(energy_label, fontsize=10)
        ax.set_ylim(0.0, 1.05)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("efficiency", fontsize=11)
    axes[0, -1].legend(fontsize=9, loc="lower right")
    return fig


def plot_pid_rocs(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], fake_at_90: Mapping[str, tuple[float, float]],
                  title: str = "") -> Figure:
    """Background (fake) rate on a log axis against signal efficiency per pair; the legend holds the fake rate
    at 90 % signal efficiency ± its error; a dotted line marks 90 %."""
    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    for name, (signal_eff, background_eff) in curves.items():
        label = name
        if name in fake_at_90:
            fake, err = fake_at_90[name]
            label = f"{name}: {100 * fake:.2f} ± {100 * err:.2f} % at 90 %"
        ax.plot(np.asarray(signal_eff), np.clip(np.asarray(background_eff), 1e-4, None), lw=2, label=label)
    ax.axvline(0.9, ls=":", color="grey", lw=1)
    ax.set_yscale("log")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(1e-4, 1.05)
    ax.set_xlabel("signal efficiency", fontsize=12)
    ax.set_ylabel("background efficiency (fake rate)", fontsize=12)
    ax.legend(fontsize=9, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    if title:
        ax.set_title(title, fontsize=13)
    return fig


def plot_event_gallery(images: Sequence[np.ndarray], titles: Sequence[str], plane_names: Sequence[str] = ()
                       ) -> Figure:
    """Rows of events, one column per plane: charge (C, H, W) of each event drawn as wire x time, titled."""
    n_rows = len(images)
    n_planes = max(np.asarray(im).shape[0] for im in images) if images else 1
    fig, axes = plt.subplots(max(n_rows, 1), n_planes, figsize=(3.6 * n_planes, 2.6 * max(n_rows, 1)),
                             layout="constrained", squeeze=False)
    for r, (image, title) in enumerate(zip(images, titles)):
        image = np.asarray(image, float)
        for p in range(n_planes):
            ax = axes[r, p]
            if p < image.shape[0]:
                ax.imshow(image[p].T, origin="lower", aspect="auto", cmap="viridis",
                          vmin=0.0, vmax=max(float(np.percentile(image[p], 99.5)), 1e-6))
            name = plane_names[p] if p < len(plane_names) else f"plane {p}"
            ax.set_title(f"{title} | {name}" if p == 0 else name, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[-1, 0].set_xlabel("wire")
    axes[-1, 0].set_ylabel("time")
    return fig


def plot_resolution_vs_energy(methods: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
                              class_names: Sequence[str]) -> Figure:
    """σ(E)/E against true energy, one panel per class, one line with error bars per method; ``methods`` maps
    a method to {class: eval.energy.resolution_vs_energy output (lists)}."""
    n = len(class_names)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.6), layout="constrained", squeeze=False, sharey=True)
    for ax, name in zip(axes[0], class_names):
        for method, per_class in methods.items():
            if name not in per_class:
                continue
            result = per_class[name]
            edges = np.asarray(result["bin_edges"], float)
            ax.errorbar(0.5 * (edges[1:] + edges[:-1]), np.asarray(result["resolution"], float),
                        xerr=0.5 * np.diff(edges), yerr=np.asarray(result["error"], float), fmt="o", ms=3, capsize=2,
                        label=method)
        ax.set_title(name, fontsize=12)
        ax.set_xlabel("true kinetic energy (MeV)", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("σ(E)/E", fontsize=11)
    axes[0, -1].legend(fontsize=9)
    return fig
