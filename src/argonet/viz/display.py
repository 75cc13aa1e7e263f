"""Event displays of the wire planes: charge, truth labels and predictions, wire/tick and cm axes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from argonet.event import ImageMeta
from argonet.viz.style import label_cmap

import matplotlib.pyplot as plt  # noqa: E402  (backend set by argonet.viz.style)
from matplotlib.patches import Patch  # noqa: E402

PLANE_NAMES = ("U", "V", "Y")


def active_window(images: Sequence[np.ndarray], margin: int = 16) -> list[tuple[slice, slice]]:
    """Per plane, the (wire, tick) slices bounding the non-zero pixels, with a margin."""
    windows = []
    for img in images:
        nz = np.argwhere(img != 0)
        if len(nz) == 0:
            windows.append((slice(0, img.shape[0]), slice(0, img.shape[1])))
            continue
        lo = np.maximum(nz.min(0) - margin, 0)
        hi = np.minimum(nz.max(0) + margin + 1, img.shape)
        windows.append((slice(lo[0], hi[0]), slice(lo[1], hi[1])))
    return windows


def plot_event(charge: Sequence[np.ndarray], metas: Sequence[ImageMeta],
               labels: Sequence[np.ndarray] | None = None, label_kind: str = "semantic",
               predictions: Sequence[np.ndarray] | None = None, title: str = "",
               zoom: bool = True, plane_names: Sequence[str] | None = None):
    """A figure with one column per plane: charge, then truth labels, then predicted labels.

    Images are (n_wires, n_ticks) as stored; they are drawn with wires along x and time along y,
    bottom/left axes in pixel indices, top/right axes in cm.
    """
    rows = [("charge", charge)]
    if labels is not None:
        rows.append(("truth", labels))
    if predictions is not None:
        rows.append(("prediction", predictions))
    n_planes = len(charge)
    names = plane_names or (PLANE_NAMES if n_planes == 3 else tuple(f"plane {i}" for i in range(n_planes)))
    windows = active_window(charge) if zoom else [(slice(None), slice(None))] * n_planes
    fig, axes = plt.subplots(len(rows), n_planes, figsize=(4.6 * n_planes, 4.2 * len(rows)), squeeze=False,
                             layout="constrained")
    cmap, class_names = label_cmap(label_kind)
    for r, (row_name, images) in enumerate(rows):
        for p in range(n_planes):
            ax = axes[r, p]
            ws, ts = windows[p]
            img = images[p][ws, ts]
            w0, t0 = ws.start or 0, ts.start or 0
            extent = (w0 - 0.5, w0 + img.shape[0] - 0.5, t0 - 0.5, t0 + img.shape[1] - 0.5)
            if row_name == "charge":
                vmax = max(np.percentile(img[img > 0], 99), 1e-6) if (img > 0).any() else 1.0
                im = ax.imshow(img.T, origin="lower", extent=extent, cmap="magma_r", vmin=0, vmax=vmax,
                               aspect="auto", interpolation="nearest")
                fig.colorbar(im, ax=ax, shrink=0.8, label="charge [ADC]")
            else:
                masked = np.ma.masked_where(img.T == 0, img.T)
                ax.imshow(np.where(charge[p][ws, ts].T > 0, 0.9, 1.0), origin="lower", extent=extent,
                          cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
                ax.imshow(masked, origin="lower", extent=extent, cmap=cmap, vmin=-0.5,
                          vmax=len(class_names) - 0.5, aspect="auto", interpolation="nearest")
            ax.set_title(f"{names[p]} plane: {row_name}")
            ax.set_xlabel("wire")
            ax.set_ylabel("time tick (image row)")
            _cm_axes(ax, metas[p])
    if len(rows) > 1:
        present = sorted({int(v) for _, imgs in rows[1:] for im in imgs for v in np.unique(im) if v > 0})
        handles = [Patch(color=cmap(i), label=class_names[i]) for i in present]
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    if title:
        fig.suptitle(title)
    return fig


def _cm_axes(ax, meta: ImageMeta) -> None:
    """Secondary axes in cm from the image meta (wire coordinate on top, drift on the right)."""
    pw, pt = meta.pixel_cm
    w0, t0 = meta.origin_cm
    top = ax.secondary_xaxis("top", functions=(lambda i: w0 + (i + 0.5) * pw, lambda c: (c - w0) / pw - 0.5))
    top.set_xlabel("wire coordinate [cm]")
    right = ax.secondary_yaxis("right", functions=(lambda j: t0 + (j + 0.5) * pt, lambda c: (c - t0) / pt - 0.5))
    right.set_ylabel("drift [cm]")


def save(fig, path: str) -> None:
    """Write a figure to PNG/PDF and release it."""
    fig.savefig(path, dpi=110)
    plt.close(fig)
