"""Training curves of a run: loss and validation metrics per epoch (arrays in, figure out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import io

import numpy as np

import argonet.viz.style  # noqa: F401  (headless backend)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def plot_training_curves(epochs: Sequence[int], losses: Mapping[str, Sequence[float]],
                         metrics: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """Loss per epoch (e.g. train and val) on the left, metrics per epoch on the right.

    Every series has one value per entry of ``epochs`` (NaN where missing, drawn as a gap); the
    epoch of the lowest ``val`` loss, when there is one, is marked on both panels.
    """
    epochs = np.asarray(epochs, dtype=float)
    n_panels = 2 if metrics else 1
    fig, axes = plt.subplots(1, n_panels, figsize=(6.0 * n_panels, 4.4), squeeze=False, layout="constrained")
    panels = [(axes[0, 0], losses, "loss")] + ([(axes[0, 1], metrics, "metric")] if metrics else [])
    best = None
    val = np.asarray(losses.get("val", []), dtype=float)
    if val.size and np.isfinite(val).any():
        best = epochs[int(np.nanargmin(val))]
    for ax, series, ylabel in panels:
        for name, values in series.items():
            values = np.asarray(values, dtype=float)
            if values.shape != epochs.shape:
                raise ValueError(f"{name}: {values.size} values for {epochs.size} epochs")
            ax.plot(epochs, values, marker="o", ms=4, lw=1.8, label=name)
        if best is not None:
            ax.axvline(best, color="grey", ls=":", lw=1, label=f"lowest val loss (epoch {best:g})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch", fontsize=12)
        ax.set_ylabel(ylabel, fontsize=12)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def training_curves_png(epochs: Sequence[int], losses: Mapping[str, Sequence[float]],
                        metrics: Mapping[str, Sequence[float]], title: str = "") -> bytes:
    """``plot_training_curves`` as PNG bytes (the figure is released), for a caller that writes files itself."""
    fig = plot_training_curves(epochs, losses, metrics, title)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, dpi=110, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
