"""Plotly figures (plain JSON-ready dicts) for the pages: curves, confusion matrices, ROC, IoU, event planes."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from argonet.serve.events import EventView
from argonet.viz.style import KIND_COLOURS, SEMANTIC_COLOURS

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CHARGE_SCALE = [[0.0, "#fcfdbf"], [0.25, "#fc8961"], [0.5, "#b73779"], [0.75, "#51127c"], [1.0, "#000004"]]
BASE_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 70}, "template": "plotly_white",
               "font": {"family": "system-ui, sans-serif", "size": 12},
               "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"}}


def to_json(figure: dict[str, Any]) -> str:
    """JSON for a ``<script>`` block: NaN/inf as null, and no ``</`` that could close the block."""
    return json.dumps(_finite(figure), separators=(",", ":")).replace("</", "<\\/")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.ndarray):
        return _finite(value.tolist())
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {**BASE_LAYOUT, "title": {"text": title, "x": 0.02, "font": {"size": 14}}, **extra}


def _ax(text: str, **extra: Any) -> dict[str, Any]:
    """An axis with a title (plotly.js 3 takes titles as objects)."""
    return {"title": {"text": text}, **extra}


def _series(scalars: dict[str, dict[str, list]], prefix: str, key: str) -> tuple[list, list]:
    """(steps, values) of one scalar, missing values dropped."""
    block = scalars.get(prefix) or {}
    pairs = [(s, v) for s, v in zip(block.get("step", []), block.get(key, [])) if v is not None and s is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def loss_figure(runs: dict[str, dict[str, dict[str, list]]]) -> dict[str, Any]:
    """Training loss (per logged step and per epoch) and validation loss against the optimiser step."""
    traces = []
    for i, (name, scalars) in enumerate(runs.items()):
        colour, label = PALETTE[i % len(PALETTE)], (f"{name}: " if len(runs) > 1 else "")
        for prefix, key, style in (("train", "loss", {"width": 1, "dash": "dot"}),
                                   ("train", "epoch_loss", {"width": 2}),
                                   ("val", "loss", {"width": 2, "dash": "dash"})):
            x, y = _series(scalars, prefix, key)
            if x:
                traces.append({"type": "scatter", "mode": "lines+markers" if key != "loss" or prefix == "val"
                               else "lines", "x": x, "y": y, "name": f"{label}{prefix} {key.replace('_', ' ')}",
                               "line": {"color": colour, **style}, "marker": {"size": 5}})
    return {"data": traces, "layout": _layout("loss", xaxis=_ax("optimiser step"), yaxis=_ax("loss"))}


def metric_figure(runs: dict[str, dict[str, dict[str, list]]]) -> dict[str, Any]:
    """Every validation metric other than the loss (accuracy, IoU ...) against the step."""
    traces = []
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    for i, (name, scalars) in enumerate(runs.items()):
        keys = [k for k in (scalars.get("val") or {}) if k not in ("step", "time", "loss") and "plane" not in k]
        for j, key in enumerate(keys):
            x, y = _series(scalars, "val", key)
            colour = PALETTE[(i if len(runs) > 1 else j) % len(PALETTE)]
            traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "y": y,
                           "name": f"{name}: {key}" if len(runs) > 1 else key,
                           "line": {"color": colour, "dash": dashes[j % len(dashes)] if len(runs) > 1 else "solid"}})
    per_plane = any("plane" in k for s in runs.values() for k in (s.get("val") or {}))
    title = "validation metrics" + (" (per plane: in the log)" if per_plane else "")
    return {"data": traces, "layout": _layout(title, xaxis=_ax("optimiser step"), yaxis=_ax("value"))}


def rate_figure(scalars: dict[str, dict[str, list]], images_per_step: int) -> dict[str, Any]:
    """Learning rate per parameter group and throughput (images/s between logged steps)."""
    block = scalars.get("train") or {}
    traces = []
    for j, key in enumerate(k for k in block if k.startswith("lr_")):
        x, y = _series(scalars, "train", key)
        traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": key.replace("lr_", "lr "),
                       "line": {"color": PALETTE[j % len(PALETTE)]}})
    rates, last = [], None
    for s, t, loss, epoch_end in zip(block.get("step", []), block.get("time", []), block.get("loss", []),
                                     block.get("epoch_loss", [None] * len(block.get("step", [])))):
        if epoch_end is not None:          # validation runs here: the next interval would include it
            last = None
        elif loss is not None:
            if last is not None and t > last[1] and s > last[0]:
                rates.append((s, (s - last[0]) * images_per_step / (t - last[1])))
            last = (s, t)
    if rates:
        traces.append({"type": "scatter", "mode": "lines", "x": [r[0] for r in rates], "y": [r[1] for r in rates],
                       "name": "images/s", "yaxis": "y2", "line": {"color": "#555", "dash": "dot"}})
    return {"data": traces, "layout": _layout("learning rate and throughput", xaxis=_ax("optimiser step"),
                                              yaxis=_ax("learning rate", type="log"),
                                              yaxis2=_ax("images/s", overlaying="y", side="right", showgrid=False),
                                              margin={**BASE_LAYOUT["margin"], "r": 70})}


def confusion_figure(counts: list[list[int]], class_names: list[str], title: str) -> dict[str, Any]:
    """Row-normalised confusion matrix (true rows, predicted columns), counts in the cells; cells are clickable."""
    cm = np.asarray(counts, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    text = [[f"{norm[i, j]:.0%}<br>({int(cm[i, j])})" for j in range(cm.shape[1])] for i in range(cm.shape[0])]
    trace = {"type": "heatmap", "z": norm, "x": class_names, "y": class_names, "text": text,
             "texttemplate": "%{text}", "colorscale": "Blues", "reversescale": True, "zmin": 0, "zmax": 1,
             "hovertemplate": "true %{y}, predicted %{x}: %{text}<br>click: list these events<extra></extra>",
             "colorbar": _ax("fraction of true")}
    return {"data": [trace], "layout": _layout(title, xaxis=_ax("predicted", side="bottom"),
                                               yaxis=_ax("true", autorange="reversed", automargin=True),
                                               height=max(340, 140 + 70 * len(class_names)))}


def efficiency_figure(report: dict[str, Any]) -> dict[str, Any]:
    """Efficiency (with its binomial error) and purity per class."""
    names = report["class_names"]
    eff = [report["efficiency"].get(c) for c in names]
    err = [(report.get("efficiency_error") or {}).get(c) for c in names]
    traces = [{"type": "bar", "x": names, "y": eff, "name": "efficiency", "marker": {"color": PALETTE[0]},
               "error_y": {"type": "data", "array": err, "visible": any(e is not None for e in err)}},
              {"type": "bar", "x": names, "y": [report["purity"].get(c) for c in names], "name": "purity",
               "marker": {"color": PALETTE[3]}}]
    return {"data": traces, "layout": _layout("efficiency and purity", barmode="group", yaxis={"range": [0, 1.05]})}


def roc_figure(report: dict[str, Any]) -> dict[str, Any]:
    """One-against-the-rest ROC curve per class, AUC in the legend."""
    traces = []
    for i, (name, curve) in enumerate((report.get("roc") or {}).items()):
        auc = (report.get("auc") or {}).get(name)
        traces.append({"type": "scatter", "mode": "lines+markers", "x": curve["background_efficiency"],
                       "y": curve["signal_efficiency"], "name": f"{name} (AUC {auc:.3f})" if auc else name,
                       "customdata": [name] * len(curve["signal_efficiency"]), "marker": {"size": 4},
                       "hovertemplate": f"{name}: signal efficiency %{{y:.3f}}, background %{{x:.3f}}"
                                        "<br>click: list the background events kept<extra></extra>",
                       "line": {"color": PALETTE[i % len(PALETTE)]}})
    traces.append({"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1], "name": "random",
                   "line": {"color": "#bbb", "dash": "dot"}, "hoverinfo": "skip"})
    return {"data": traces, "layout": _layout("ROC: one class against the rest",
                                              xaxis=_ax("background efficiency", range=[0, 1]),
                                              yaxis=_ax("signal efficiency", range=[0, 1.02]))}


def iou_figure(report: dict[str, Any]) -> dict[str, Any]:
    """Segmentation figures (accuracy, IoU ...) per plane and averaged."""
    planes = {**report.get("planes", {}), "average": report.get("average", {})}
    metrics = list(next(iter(planes.values()), {}).keys())
    traces = [{"type": "bar", "x": list(planes), "y": [planes[p].get(m) for p in planes], "name": m,
               "marker": {"color": PALETTE[j % len(PALETTE)]}} for j, m in enumerate(metrics)]
    return {"data": traces, "layout": _layout("per plane (mean over events)", barmode="group",
                                              yaxis={"range": [0, 1.05]})}


def _axis(n: int) -> str:
    return "" if n == 1 else str(n)


def event_figure(view: EventView) -> dict[str, Any]:
    """The event display: one column per plane, one row per picture (charge, truth, prediction);
    zoom and pan are shared by the rows of a plane; axes are wire and tick numbers."""
    n_rows, n_cols = len(view.rows), len(view.plane_names)
    gap_x, gap_y = 0.06, 0.16 / max(n_rows, 1)
    width, height = (1 - gap_x * (n_cols - 1)) / n_cols, (1 - gap_y * (n_rows - 1)) / n_rows
    data, layout = [], _layout(view.title, height=330 * n_rows + 60, showlegend=True, annotations=[],
                               legend={"orientation": "v", "x": 1.0, "y": 0.5, "xanchor": "left"})
    layout["margin"] = {"l": 50, "r": 20, "t": 60, "b": 40}
    for r, row in enumerate(view.rows):
        colours = SEMANTIC_COLOURS if row.kind == "semantic" else KIND_COLOURS
        for p in range(n_cols):
            n = r * n_cols + p + 1
            image = row.images[p].astype(float)
            w0, t0 = view.windows[p]
            k = view.pool[p]
            x = (w0 + k * np.arange(image.shape[0]) + (k - 1) / 2).tolist()
            y = (t0 + k * np.arange(image.shape[1]) + (k - 1) / 2).tolist()
            z = np.where(image.T > 0, image.T, np.nan)
            if row.kind:
                k_cls = len(row.class_names)
                scale = [[(i + edge) / k_cls, colours[i]] for i in range(k_cls) for edge in (0, 1)]
                names = np.array(row.class_names)[np.clip(np.nan_to_num(z, nan=0).astype(int), 0, k_cls - 1)]
                trace = {"type": "heatmap", "z": z, "x": x, "y": y, "zmin": -0.5, "zmax": k_cls - 0.5,
                         "colorscale": scale, "showscale": False, "customdata": names,
                         "hovertemplate": "wire %{x}, tick %{y}: %{customdata}<extra></extra>"}
            else:
                signal = image[image > 0]
                vmax = float(np.percentile(signal, 90)) if signal.size else 1.0
                trace = {"type": "heatmap", "z": z, "x": x, "y": y, "zmin": 0, "zmax": max(vmax, 1e-6),
                         "colorscale": CHARGE_SCALE, "showscale": p == n_cols - 1 and r == 0,
                         "colorbar": _ax("ADC", len=height, y=1 - height / 2),
                         "hovertemplate": "wire %{x}, tick %{y}: %{z:.1f} ADC<extra></extra>"}
            trace.update(xaxis=f"x{_axis(n)}", yaxis=f"y{_axis(n)}")
            data.append(trace)
            x0, y1 = p * (width + gap_x), 1 - r * (height + gap_y)
            layout[f"xaxis{_axis(n)}"] = {"domain": [x0, x0 + width], "anchor": f"y{_axis(n)}",
                                          "title": {"text": "wire" if r == n_rows - 1 else "", "standoff": 2},
                                          "showgrid": False,
                                          **({"matches": f"x{_axis(p + 1)}"} if r else {})}
            layout[f"yaxis{_axis(n)}"] = {"domain": [y1 - height, y1], "anchor": f"x{_axis(n)}",
                                          "title": {"text": "tick", "standoff": 2}, "showgrid": False,
                                          **({"matches": f"y{_axis(p + 1)}"} if r else {})}
            pooled = f", {k}x{k} max-pooled" if k > 1 else ""
            layout["annotations"].append({"text": f"<b>{view.plane_names[p]}</b>: {row.title}{pooled}",
                                          "xref": "paper", "yref": "paper", "x": x0, "y": y1 + 0.01,
                                          "xanchor": "left", "yanchor": "bottom", "showarrow": False})
    for row in view.rows:
        if row.kind:
            colours = SEMANTIC_COLOURS if row.kind == "semantic" else KIND_COLOURS
            present = sorted({int(v) for im in row.images for v in np.unique(im) if v > 0})
            for v in present:
                if v < len(row.class_names) and not any(t.get("name") == row.class_names[v] for t in data):
                    data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                                 "marker": {"color": colours[v], "size": 12, "symbol": "square"},
                                 "name": row.class_names[v], "xaxis": "x", "yaxis": "y"})
    return {"data": data, "layout": layout}


_STATE_COLOURS = {"complete": PALETTE[0], "pruned": "#f59e0b", "failed": PALETTE[1], "interrupted": "#92400e"}


def _objective_title(objective: dict[str, Any]) -> str:
    arrow = {"minimize": " (lower is better)", "maximize": " (higher is better)"}
    return f"{objective['name']}{arrow.get(objective.get('direction'), '')}"


def sweep_history_figure(trials: list[dict[str, Any]], objective: dict[str, Any], index: int = 0,
                         alone: bool = True) -> dict[str, Any]:
    """One objective's value per trial, coloured by state (a pruned trial at its last reported value), and
    the best so far among the complete trials (of this objective ``alone`` when there are several)."""
    traces = []
    points = [(t["number"], t["values"][index], str(t.get("state")), t.get("name")) for t in trials
              if isinstance(t.get("values"), list) and len(t["values"]) > index and t["values"][index] is not None]
    for state in dict.fromkeys(p[2] for p in points):
        mine = [p for p in points if p[2] == state]
        traces.append({"type": "scatter", "mode": "markers", "x": [p[0] for p in mine], "y": [p[1] for p in mine],
                       "text": [p[3] for p in mine], "name": state,
                       "marker": {"size": 9, "color": _STATE_COLOURS.get(state, "#888")},
                       "hovertemplate": "%{text}: %{y:.4g}<extra>" + state + "</extra>"})
    better = min if objective.get("direction") == "minimize" else max
    best, xs, ys = None, [], []
    for number, value, state, _ in points:
        if state == "complete":
            best = value if best is None else better(best, value)
        if best is not None:
            xs.append(number)
            ys.append(best)
    if xs:
        traces.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys,
                       "name": "best so far" if alone else "best so far (this objective alone)",
                       "line": {"color": "#555", "shape": "hv"}})
    numbers = [p[0] for p in points]
    step = max(1, math.ceil((max(numbers, default=0) - min(numbers, default=0) + 1) / 10))
    return {"data": traces, "layout": _layout(f"optimisation history: {objective['name']}",
                                              xaxis=_ax("trial", dtick=step, tick0=0),
                                              yaxis=_ax(_objective_title(objective)))}


def sweep_pareto_figure(trials: list[dict[str, Any]], objectives: list[dict[str, Any]],
                        front: list[int]) -> dict[str, Any]:
    """The first two objectives of every complete trial, the Pareto front joined and marked."""
    done = [t for t in trials if t.get("state") == "complete" and isinstance(t.get("values"), list)
            and len(t["values"]) >= 2]
    on = sorted((t for t in done if t["number"] in front), key=lambda t: t["values"][0])
    off = [t for t in done if t["number"] not in front]
    traces = [{"type": "scatter", "mode": "markers", "x": [t["values"][0] for t in group],
               "y": [t["values"][1] for t in group], "text": [t.get("name") for t in group], "name": label,
               "marker": {"size": 10 if label == "Pareto front" else 8, "color": colour},
               "line": {"color": colour}, "hovertemplate": "%{text}: %{x:.4g}, %{y:.4g}<extra></extra>"}
              for group, label, colour in ((off, "dominated", "#9aa4b2"), (on, "Pareto front", PALETTE[1])) if group]
    if on:
        traces[-1]["mode"] = "lines+markers"
    return {"data": traces, "layout": _layout("Pareto front", xaxis=_ax(_objective_title(objectives[0])),
                                              yaxis=_ax(_objective_title(objectives[1])))}
