"""Figures and numbers of the jet study (docs/jets): run from the repository root.

    python docs/jets/make_figures.py DATA [RUNS]

DATA: the jet file(s) (a glob for shards); RUNS: a folder of training runs, each with an ``eval``
folder written by ``argonet evaluate`` (metrics.json, predictions.csv). Writes docs/jets/mass.png,
features.png, mean_images.png and, with RUNS, results.json, tagging.png and each run's confusion
matrix (<run>_confusion.png); prints the mass peaks and the results table.
"""

from __future__ import annotations

import csv
import glob
import json
from pathlib import Path
import shutil
import sys

import numpy as np

from argonet.eval.jets import TAGGERS, jet_classes
from argonet.eval.metrics import roc_curve
from argonet.io import JetImageChain
from argonet.viz.jets import plot_features_by_class, plot_mass_by_class, plot_mean_images
import matplotlib.pyplot as plt

from argonet.viz.metrics import save_figure

OUT = Path(__file__).parent
TAGGER_TITLES = {"t_vs_qcd": "top vs QCD", "w_vs_qcd": "W vs QCD"}


def sample_figures(pattern: str) -> None:
    """Mass, substructure and mean-image figures of the sample; prints where the masses peak."""
    with JetImageChain(sorted(glob.glob(pattern)) or [pattern]) as chain:
        features, labels, names = chain.features, chain.labels, chain.class_names
        images = chain.images()
    title = f"{len(labels)} jets, anti-kT R = 0.8, 0.9 < pT < 1.1 TeV, pp at 13 TeV (Pythia 8)"
    save_figure(plot_mass_by_class({"jet mass": features["mass_GeV"],
                                    "soft-drop mass (z_cut 0.1, beta 0)": features["mass_sd_GeV"]},
                                   labels, names, title=title), str(OUT / "mass.png"))
    panels = {"tau21": (features["tau21"], (0, 1)), "tau32": (features["tau32"], (0, 1)),
              "C2 (beta 1)": (features["c2"], (0, 0.5)), "D2 (beta 1)": (features["d2"], (0, 8)),
              "multiplicity": (features["multiplicity"], (0, 200)), "jet pT [GeV]": (features["pt_GeV"], (850, 1150))}
    save_figure(plot_features_by_class(panels, labels, names), str(OUT / "features.png"))
    save_figure(plot_mean_images(images, labels, names), str(OUT / "mean_images.png"))
    bins = np.linspace(0, 300, 121)
    for i, name in enumerate(names):
        for column in ("mass_GeV", "mass_sd_GeV"):
            counts, edges = np.histogram(features[column][labels == i], bins=bins)
            peak = edges[np.argmax(counts[2:]) + 2] + 1.25             # skip the groomed-away spike at 0
            median = np.median(features[column][labels == i])
            print(f"{name:>12} {column:>12}: peak {peak:6.1f} GeV, median {median:6.1f}")


def read_predictions(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Probabilities (N, K), true labels (N,) and class names of an ``argonet evaluate`` predictions.csv."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    names = [k[2:] for k in rows[0] if k.startswith("p_")]
    probs = np.array([[float(r[f"p_{n}"]) for n in names] for r in rows])
    labels = np.array([names.index(r["true"]) for r in rows])
    return probs, labels, names


def run_results(runs: Path) -> None:
    """results.json, tagging.png and the confusion matrices of every evaluated run under ``runs``."""
    results, curves = {}, {}
    for metrics_path in sorted(runs.glob("*/eval/metrics.json")):
        run = metrics_path.parent.parent.name
        report = json.loads(metrics_path.read_text())
        results[run] = {key: report[key] for key in ("accuracy", "n_events", "class_names", "confusion",
                                                     "confusion_row_normalised", "efficiency", "purity", "auc",
                                                     "jet_tagging", "checkpoint", "split")}
        shutil.copyfile(metrics_path.parent / "confusion.png", OUT / f"{run}_confusion.png")
        probs, labels, names = read_predictions(metrics_path.parent / "predictions.csv")
        index = jet_classes(names)
        for tagger, signal, backgrounds in TAGGERS:
            keep = np.isin(labels, [index[signal], *(index[b] for b in backgrounds)])
            p_sig = probs[keep, index[signal]]
            score = p_sig / np.maximum(p_sig + probs[keep][:, [index[b] for b in backgrounds]].sum(1), 1e-300)
            eff_s, eff_b, _ = roc_curve(labels[keep] == index[signal], score)
            curves.setdefault(tagger, {})[run] = (eff_s, eff_b, report["jet_tagging"][tagger]["auc"])
        tag = report["jet_tagging"]
        print(f"| {run} | {report['accuracy']:.4f} | " + " | ".join(f"{report['auc'][c]:.3f}" for c in names) +
              f" | {tag['t_vs_qcd']['rejection']:.1f} | {tag['w_vs_qcd']['rejection']:.1f} |")
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    save_figure(tagging_figure(curves), str(OUT / "tagging.png"))


def tagging_figure(curves: dict[str, dict[str, tuple]]) -> plt.Figure:
    """One panel per tagger (t vs QCD, W vs QCD), one curve per run in the same colour in both panels."""
    runs = sorted({run for by_run in curves.values() for run in by_run})
    colours = dict(zip(runs, plt.get_cmap("tab10").colors))
    fig, axes = plt.subplots(1, len(curves), figsize=(6.5 * len(curves), 5.5), squeeze=False)
    for ax, (tagger, by_run) in zip(axes[0], curves.items()):
        for run, (eff_s, eff_b, auc) in by_run.items():
            ax.plot(eff_b, eff_s, color=colours[run], lw=1.5, label=f"{run} (AUC {auc:.3f})")
        ax.set(xscale="log", xlim=(1e-3, 1), ylim=(0, 1), xlabel="background efficiency (g + q)",
               ylabel="signal efficiency", title=f"{TAGGER_TITLES.get(tagger, tagger)} jets, test split")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    return fig


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sample_figures(sys.argv[1])
    if len(sys.argv) == 3:
        run_results(Path(sys.argv[2]))
