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
               label_rows: Sequence[tuple[str, str, Sequence[np.ndarray]]] = (), title: str = "",
               zoom: bool = True, plane_names: Sequence[str] | None = None):
    """A figure with one column per plane: charge, then one row per (title, label type, images).

    ``label_rows`` holds e.g. ``("truth", "semantic", arrays)`` or ``("prediction", "semantic", arrays)``;
    the label type ('semantic' or 'kind') picks the colours. Images are (n_wires, n_ticks) as stored;
    they are drawn with wires along x and time along y, bottom/left axes in pixels, top/right in cm.
    The zoom bounds the labelled (non-background) pixels when labels are given, else the charge.
    """
    rows = [("charge", "", charge), *label_rows]
    n_planes = len(charge)
    names = plane_names or (PLANE_NAMES if n_planes == 3 else tuple(f"plane {i}" for i in range(n_planes)))
    basis = label_rows[0][2] if label_rows else charge
    windows = active_window(basis) if zoom else [(slice(None), slice(None))] * n_planes
    fig, axes = plt.subplots(len(rows), n_planes, figsize=(4.6 * n_planes, 4.2 * len(rows)), squeeze=False,
                             layout="constrained")
    for r, (row_name, label_kind, images) in enumerate(rows):
        if label_kind:
            cmap, class_names = label_cmap(label_kind)
        for p in range(n_planes):
            ax = axes[r, p]
            ws, ts = windows[p]
            img = images[p][ws, ts]
            w0, t0 = ws.start or 0, ts.start or 0
            extent = (w0 - 0.5, w0 + img.shape[0] - 0.5, t0 - 0.5, t0 + img.shape[1] - 0.5)
            if not label_kind:
                signal = img[basis[p][ws, ts] > 0] if label_rows else img[img > 0]
                vmax = float(np.percentile(signal, 90)) if signal.size else 1.0
                cmap_q = plt.get_cmap("magma_r").with_extremes(bad="white")
                im = ax.imshow(np.ma.masked_where(img.T <= 0, img.T), origin="lower", extent=extent,
                               cmap=cmap_q, vmin=0, vmax=max(vmax, 1e-6), aspect="auto", interpolation="nearest")
                fig.colorbar(im, ax=ax, shrink=0.8, label="charge [ADC]", extend="max")
            else:
                masked = np.ma.masked_where(img.T == 0, img.T)
                ax.imshow(np.where(charge[p][ws, ts].T > 0, 0.9, 1.0), origin="lower", extent=extent,
                          cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
                ax.imshow(masked, origin="lower", extent=extent, cmap=cmap, vmin=-0.5,
                          vmax=len(class_names) - 0.5, aspect="auto", interpolation="nearest")
            ax.set_title(f"{names[p]} plane: {row_name}" + (f" ({label_kind})" if label_kind else ""))
            ax.set_xlabel("wire")
            ax.set_ylabel("time tick (image row)")
            _cm_axes(ax, metas[p])
    handles, seen = [], set()
    for _, label_kind, imgs in label_rows:
        cmap, class_names = label_cmap(label_kind)
        for v in sorted({int(v) for im in imgs for v in np.unique(im) if v > 0}):
            if (label_kind, v) not in seen and v < len(class_names):
                seen.add((label_kind, v))
                handles.append(Patch(color=cmap(v), label=class_names[v]))
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


def save(fig, path: str, file_format: str | None = None) -> None:
    """Write a figure to PNG/PDF (``file_format``, else from the name) and release it."""
    fig.savefig(path, dpi=110, format=file_format)
    plt.close(fig)
