"""Drawings of what a network looks at: attributions per plane, contact sheets of top-activating events,
first-layer filters, and 2-D embeddings (PNG and a self-contained interactive HTML page).

Images are model inputs (rows = wires, columns = ticks) and are drawn as the event display does:
wires along x, time along y.
"""

from __future__ import annotations

from collections.abc import Sequence
import json

import numpy as np

from argonet.viz.style import label_cmap

import matplotlib.pyplot as plt  # noqa: E402  (backend set by argonet.viz.style)
from matplotlib.patches import Patch, Rectangle  # noqa: E402

CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


def _show(ax, image: np.ndarray, **kwargs):
    """imshow of a (wire, tick) image with wires along x and ticks along y."""
    return ax.imshow(np.asarray(image).T, origin="lower", aspect="auto", interpolation="nearest", **kwargs)


def plot_attribution(charge: Sequence[np.ndarray], columns: Sequence[tuple[str, Sequence[np.ndarray]]],
                     truth: Sequence[np.ndarray] | None = None, truth_kind: str = "kind", title: str = "",
                     plane_names: Sequence[str] | None = None, box: tuple[int, int, int, int, int] | None = None):
    """One row per plane: charge, truth labels (if given), then each (title, per-plane attribution) column.

    Attributions are drawn in a diverging map symmetric about 0 (red: raises the output, blue:
    lowers it) over the grey silhouette of the charge, one colour scale per column for all planes.
    ``box`` (plane, wire0, tick0, wire1, tick1) marks the explained region of a segmentation output.
    """
    n_planes = len(charge)
    names = plane_names or [f"plane {p}" for p in range(n_planes)]
    n_cols = 1 + (truth is not None) + len(columns)
    fig, axes = plt.subplots(n_planes, n_cols, figsize=(3.6 * n_cols, 3.2 * n_planes), squeeze=False,
                             layout="constrained")
    for p in range(n_planes):
        signal = charge[p][charge[p] > 0]
        vmax = float(np.percentile(signal, 95)) if signal.size else 1.0
        im = _show(axes[p, 0], np.ma.masked_where(charge[p] <= 0, charge[p]),
                   cmap=plt.get_cmap("magma_r").with_extremes(bad="white"), vmin=0, vmax=max(vmax, 1e-6))
        fig.colorbar(im, ax=axes[p, 0], shrink=0.8)
        axes[p, 0].set_title(f"{names[p]}: charge (model input)", fontsize=9)
        col = 1
        if truth is not None:
            cmap, class_names = label_cmap(truth_kind)
            _show(axes[p, col], np.where(charge[p] > 0, 0.9, 1.0), cmap="gray", vmin=0, vmax=1)
            _show(axes[p, col], np.ma.masked_where(truth[p] == 0, truth[p]), cmap=cmap, vmin=-0.5,
                  vmax=len(class_names) - 0.5)
            axes[p, col].set_title(f"{names[p]}: truth ({truth_kind})", fontsize=9)
            col += 1
        for title_c, images in columns:
            scale = max(float(np.abs(np.asarray(a)).max()) for a in images) or 1.0
            _show(axes[p, col], np.where(charge[p] > 0, 0.85, 1.0), cmap="gray", vmin=0, vmax=1)
            attribution = np.asarray(images[p])
            im = _show(axes[p, col], np.ma.masked_where(attribution == 0, attribution), cmap="RdBu_r",
                       vmin=-scale, vmax=scale, alpha=0.9)
            fig.colorbar(im, ax=axes[p, col], shrink=0.8)
            axes[p, col].set_title(f"{names[p]}: {title_c}", fontsize=9)
            col += 1
        if box is not None and box[0] == p:
            for ax in axes[p]:
                ax.add_patch(Rectangle((box[1] - 0.5, box[2] - 0.5), box[3] - box[1], box[4] - box[2], fill=False,
                                       edgecolor="lime", linewidth=1.5))
        for ax in axes[p]:
            ax.set_xlabel("wire (model pixel)", fontsize=8)
            ax.set_ylabel("tick (model pixel)", fontsize=8)
    if truth is not None:
        cmap, class_names = label_cmap(truth_kind)
        present = sorted({int(v) for t in truth for v in np.unique(t) if 0 < v < len(class_names)})
        if present:
            fig.legend(handles=[Patch(color=cmap(v), label=class_names[v]) for v in present],
                       loc="outside lower center", ncol=len(present))
    if title:
        fig.suptitle(title)
    return fig


def plot_contact_sheet(thumbnails: np.ndarray, captions: Sequence[Sequence[str]], row_names: Sequence[str],
                       peaks: np.ndarray | None = None, title: str = ""):
    """A grid: one row per channel, its top events (``thumbnails`` (rows, k, wires, ticks)) left to right,
    each captioned; ``peaks`` (rows, k, 2) marks where the channel fired most (model pixels)."""
    n_rows, k = thumbnails.shape[:2]
    fig, axes = plt.subplots(n_rows, k, figsize=(1.9 * k, 1.9 * n_rows), squeeze=False, layout="constrained")
    cmap = plt.get_cmap("magma_r").with_extremes(bad="white")
    for r in range(n_rows):
        for c in range(k):
            ax, image = axes[r, c], thumbnails[r, c]
            signal = image[image > 0]
            vmax = float(np.percentile(signal, 95)) if signal.size else 1.0
            _show(ax, np.ma.masked_where(image <= 0, image), cmap=cmap, vmin=0, vmax=max(vmax, 1e-6))
            if peaks is not None:
                ax.plot(peaks[r, c, 0], peaks[r, c, 1], "o", mfc="none", mec="lime", ms=10, mew=1.5)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(captions[r][c], fontsize=6)
        axes[r, 0].set_ylabel(row_names[r], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_filters(weights: np.ndarray, title: str = "", in_names: Sequence[str] | None = None):
    """First-layer filters (out, in, kh, kw) as a grid of images: one column per output channel
    (up to 32), one row per input plane; colour symmetric about 0 per filter."""
    out_ch, in_ch = weights.shape[:2]
    n = min(out_ch, 32)
    fig, axes = plt.subplots(in_ch, n, figsize=(0.75 * n + 1, 0.8 * in_ch + 0.8), squeeze=False, layout="constrained")
    for c in range(n):
        scale = float(np.abs(weights[c]).max()) or 1.0
        for i in range(in_ch):
            ax = axes[i, c]
            _show(ax, weights[c, i], cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(str(c), fontsize=6)
            if c == 0:
                ax.set_ylabel((in_names or [f"in {j}" for j in range(in_ch)])[i], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_embedding(xy: np.ndarray, labels: np.ndarray, predicted: np.ndarray, class_names: Sequence[str],
                   title: str = ""):
    """2-D embedding coloured by true class; misclassified events ringed in black."""
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    for k, name in enumerate(class_names):
        sel = labels == k
        ax.scatter(xy[sel, 0], xy[sel, 1], s=14, color=CLASS_COLOURS[k % len(CLASS_COLOURS)], label=name, alpha=0.8)
    wrong = labels != predicted
    ax.scatter(xy[wrong, 0], xy[wrong, 1], s=40, facecolors="none", edgecolors="black", linewidths=0.8,
               label=f"misclassified ({int(wrong.sum())})")
    ax.legend(fontsize=8, markerscale=1.2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "penultimate features (t-SNE)")
    return fig


def embedding_html(xy: np.ndarray, labels: np.ndarray, predicted: np.ndarray, class_names: Sequence[str],
                   event_ids: Sequence[int], title: str = "", command: str = "") -> str:
    """A self-contained HTML page (plotly inlined, works offline): one point per event coloured by true
    class, misclassified ones as crosses; hovering shows the event, clicking prints it with ``command``
    (e.g. an ``argonet explain ... event=`` line to paste) under the plot."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, name in enumerate(class_names):
        for wrong in (False, True):
            sel = (labels == k) & ((labels != predicted) == wrong)
            if not sel.any():
                continue
            ids = np.asarray(event_ids)[sel]
            text = [f"event {e}<br>true {name}<br>predicted {class_names[p]}" for e, p in zip(ids, predicted[sel])]
            fig.add_trace(go.Scatter(
                x=xy[sel, 0], y=xy[sel, 1], mode="markers", name=f"{name}{' (misclassified)' if wrong else ''}",
                text=text, customdata=ids, hovertemplate="%{text}<extra></extra>",
                marker={"color": CLASS_COLOURS[k % len(CLASS_COLOURS)], "size": 11 if wrong else 7,
                        "symbol": "x" if wrong else "circle", "line": {"width": 1 if wrong else 0}}))
    fig.update_layout(title=(title or "penultimate features (t-SNE)").replace("\n", "<br>"), template="plotly_white",
                      xaxis={"visible": False}, yaxis={"visible": False}, height=650)
    script = ("var plot = document.getElementsByClassName('plotly-graph-div')[0];"
              "plot.on('plotly_click', function(d) { var e = d.points[0].customdata;"
              " document.getElementById('clicked').textContent = 'event ' + e + ': ' + "
              f"{json.dumps(command)} + e; }});")
    html = fig.to_html(include_plotlyjs=True, full_html=True, post_script=script)
    return html.replace("</body>", "<pre id=\"clicked\">click a point to name its event</pre></body>")
