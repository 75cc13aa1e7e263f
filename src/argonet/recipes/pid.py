"""The particle-identification study (LArIAT single particles): every choice on validation, the test split once.

1. Scan: one model per tick down-sampling factor; pairwise fake rates at 90 % signal efficiency on the
   validation split; the factor with the lowest mean fake rate of e vs γ, e vs all, μ vs π is chosen.
2. Mining: the chosen model's misclassified TRAINING events are weighted up (``mining_weight``) and the
   model is retrained from the same seed; it replaces the baseline only if its validation figure is lower.
3. Optional: one model per wire plane (efficiency per plane, and the planes combined).
4. Test, once: fake rates at 90 % on the test split (each with its binomial error), the rates of the
   validation-chosen thresholds on the test events, efficiency against true kinetic energy, confusion
   matrix, ROC curves, the worst misclassified test events.
5. Optional energy regression at the chosen factor (recipes/pid_energy.py).

Writes ``results.json`` (headline ``fake_rate_at_90``, ``test_events``, ``model``, ``downsample``),
``table.md`` (validation fake rates against the factor) and figures to ``output_dir``, which appears
complete or not at all (written beside it, then renamed; an earlier one is replaced).
"""

from __future__ import annotations

from dataclasses import asdict
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from argonet import __version__
from argonet.conf.pid import PidStudyConfig
from argonet.eval.metrics import classification_report, confusion_matrix
from argonet.eval.pid import combine_planes, downsample_table, efficiency_vs_energy, pid_figures, worst_misclassified
from argonet.io.atomic import AtomicFolder
from argonet.recipes import pid_steps as steps
from argonet.recipes.pid_energy import energy_study
from argonet.viz.metrics import plot_confusion, save_figure
from argonet.viz.pid import plot_efficiency_vs_energy, plot_event_gallery, plot_pid_rocs


def _log(message: str) -> None:
    """One progress line."""
    print(message, flush=True)


def scan(cfg: PidStudyConfig) -> tuple[list[dict[str, Any]], dict[int, steps.Trained], dict[str, np.ndarray]]:
    """Train one model per tick factor; validation fake rates per factor; the models; the split entries."""
    rows, models, entries = [], {}, None
    for k in cfg.downsample:
        trained = steps.train(cfg, steps.data_for(cfg, k), f"downsample{k}")
        entries = entries or steps.splits(trained.dataset, trained.data)
        probs, labels = steps.predict_split(trained, entries["val"], cfg.run.device)
        pairs = steps.summarise_pairs(probs, labels, trained.dataset.class_names, cfg.efficiency)
        rows.append({"downsample": k, "pairs": pairs, "val_accuracy": float(np.mean(probs.argmax(1) == labels)),
                     "val_headline": steps.headline(pairs)})
        models[k] = trained
        _log(f"downsample {k}: validation accuracy {rows[-1]['val_accuracy']:.3f}, mean fake rate at "
             f"{cfg.efficiency:.0%} of {', '.join(steps.HEADLINE_PAIRS)}: {rows[-1]['val_headline']:.4f}")
    return rows, models, entries


def mining_step(cfg: PidStudyConfig, baseline: steps.Trained, entries: dict[str, np.ndarray],
                baseline_pairs: dict[str, dict]) -> tuple[steps.Trained, dict[str, Any]]:
    """Retrain with the misclassified training events weighted up; keep it if validation improves."""
    mined, weights = steps.mine(cfg, baseline, entries["train"])
    retrained = steps.train(cfg, baseline.data, baseline.label + "_mined", weights=weights, dataset=baseline.dataset)
    probs, labels = steps.predict_split(retrained, entries["val"], cfg.run.device)
    pairs = steps.summarise_pairs(probs, labels, baseline.dataset.class_names, cfg.efficiency)
    before, after = steps.headline(baseline_pairs), steps.headline(pairs)
    report = {"mined_train_events": int(len(mined)), "train_events": int(len(entries["train"])),
              "weight": cfg.mining_weight, "val_fake_rate_before": {p: baseline_pairs[p]["fake_rate"] for p in pairs
                                                                     if p in baseline_pairs},
              "val_fake_rate_after": {p: v["fake_rate"] for p, v in pairs.items()},
              "val_headline_before": before, "val_headline_after": after, "kept": bool(after < before)}
    _log(f"mining: {len(mined)} of {len(entries['train'])} training events misclassified, weighted x"
         f"{cfg.mining_weight:g}; validation mean fake rate {before:.4f} -> {after:.4f}"
         f" ({'kept' if report['kept'] else 'not kept'})")
    return (retrained if report["kept"] else baseline), report


def _threshold_map(pairs: dict[str, dict]) -> dict[str, float]:
    """The validation-chosen score cut of every pair."""
    return {p: v["threshold"] for p, v in pairs.items()}


def per_plane_efficiency(cfg: PidStudyConfig, chosen: steps.Trained, entries: dict[str, np.ndarray],
                         test_energy: np.ndarray, test_probs: np.ndarray) -> dict[str, dict]:
    """Efficiency against energy on the test split for one model per plane, their product, and the
    two-plane model."""
    series: dict[str, dict] = {}
    plane_probs = []
    for plane in chosen.dataset.plane_ids:
        k = chosen.data.factors[1]
        trained = steps.train(cfg, steps.data_for(cfg, k, planes=[plane]), f"plane{plane}_downsample{k}")
        probs, labels = steps.predict_split(trained, entries["test"], cfg.run.device)
        plane_probs.append(probs)
        series[f"plane {plane}"] = efficiency_vs_energy(labels, probs.argmax(1), test_energy, cfg.energy_bins_MeV,
                                                        len(chosen.dataset.class_names))
    labels = chosen.dataset.targets[entries["test"]]
    series["planes combined (product)"] = efficiency_vs_energy(labels, combine_planes(plane_probs).argmax(1),
                                                               test_energy, cfg.energy_bins_MeV,
                                                               len(chosen.dataset.class_names))
    series["two-plane model"] = efficiency_vs_energy(labels, test_probs.argmax(1), test_energy, cfg.energy_bins_MeV,
                                                     len(chosen.dataset.class_names))
    return series


def _worst_gallery(cfg: PidStudyConfig, chosen: steps.Trained, test: np.ndarray, probs: np.ndarray,
                   labels: np.ndarray, energy: np.ndarray, out: Path) -> list[dict]:
    """Draw the worst misclassified test events; their entries, truths and scores."""
    names = chosen.dataset.class_names
    worst = worst_misclassified(probs, labels, cfg.n_worst)
    listed = [{"entry": int(test[i]), "true": names[labels[i]], "predicted": names[int(probs[i].argmax())],
               "p_true": float(probs[i, labels[i]]), "kinetic_energy_MeV": float(energy[i])} for i in worst]
    if len(worst):
        images = chosen.dataset.without_augment().read_batch(test[worst])["image"].numpy()
        titles = [f"{w['true']}→{w['predicted']} p={w['p_true']:.2f} {w['kinetic_energy_MeV']:.0f} MeV"
                  for w in listed]
        _save(plot_event_gallery(list(images), titles, [f"plane {p}" for p in chosen.dataset.plane_ids]),
              out / "worst_misclassified.png")
    return listed


def _save(fig, path: Path) -> None:
    """A figure as PNG (inside the study's temporary folder)."""
    save_figure(fig, str(path))


def test_once(cfg: PidStudyConfig, chosen: steps.Trained, entries: dict[str, np.ndarray], val_pairs: dict[str, dict],
              out: Path) -> dict[str, Any]:
    """Everything measured on the test split, with the thresholds chosen on validation."""
    test = entries["test"]
    probs, labels = steps.predict_split(chosen, test, cfg.run.device)
    names = chosen.dataset.class_names
    figures = pid_figures(probs, labels, names, cfg.efficiency, _threshold_map(val_pairs))
    energy = chosen.dataset.energy_MeV[test].astype(float)
    cm = confusion_matrix(labels, probs.argmax(1), len(names))
    _save(plot_confusion(cm, names, "test split"), out / "confusion.png")
    curves = {p: (np.array(f["roc"]["signal_efficiency"]), np.array(f["roc"]["background_efficiency"]))
              for p, f in figures.items()}
    _save(plot_pid_rocs(curves, {p: (f["fake_rate"], f["error"]) for p, f in figures.items()}, "test split"),
          out / "roc.png")
    series = (per_plane_efficiency(cfg, chosen, entries, energy, probs) if cfg.per_plane else
              {"two-plane model": efficiency_vs_energy(labels, probs.argmax(1), energy, cfg.energy_bins_MeV,
                                                       len(names))})
    _save(plot_efficiency_vs_energy(series, names), out / "efficiency_vs_energy.png")
    return {"pairs": {p: {k: v for k, v in f.items() if k != "roc"} for p, f in figures.items()},
            "report": classification_report(cm, names),
            "efficiency_vs_energy": {s: {k: np.asarray(v).tolist() for k, v in r.items()} for s, r in series.items()},
            "worst_misclassified": _worst_gallery(cfg, chosen, test, probs, labels, energy, out),
            "n_events": int(len(test))}


def _json_ready(value: Any) -> Any:
    """NaN and infinities → None, numpy scalars → Python numbers, recursively."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def run_study(cfg: PidStudyConfig) -> dict[str, Any]:
    """The whole study; returns the results written to ``output_dir/results.json``."""
    torch.set_num_threads(cfg.threads)
    folder = AtomicFolder(cfg.output_dir, overwrite=True)     # all outputs appear together, or none
    out = folder.tmp
    rows, models, entries = scan(cfg)
    best = min(rows, key=lambda r: r["val_headline"])
    chosen, val_pairs = models[best["downsample"]], best["pairs"]
    _log(f"chosen on validation: tick down-sampling {best['downsample']}")
    mining = None
    if cfg.mining:
        chosen, mining = mining_step(cfg, chosen, entries, val_pairs)
        if mining["kept"]:
            probs, labels = steps.predict_split(chosen, entries["val"], cfg.run.device)
            val_pairs = steps.summarise_pairs(probs, labels, chosen.dataset.class_names, cfg.efficiency)
    test = test_once(cfg, chosen, entries, val_pairs, out)
    energy = energy_study(cfg, chosen, entries, out) if cfg.energy else None
    results = {
        "fake_rate_at_90": {p: test["pairs"].get(p, {}).get("fake_rate") for p in steps.HEADLINE_PAIRS},
        "fake_rate_at_90_error": {p: test["pairs"].get(p, {}).get("error") for p in steps.HEADLINE_PAIRS},
        "test_events": test["n_events"], "model": cfg.model.name + ("+mining" if mining and mining["kept"] else ""),
        "downsample": best["downsample"], "efficiency": cfg.efficiency,
        "score": "p(signal) / (p(signal) + sum of p(background classes)), events of those classes only",
        "test": test, "validation_scan": rows, "mining": mining, "energy": energy,
        "events": {name: int(len(e)) for name, e in entries.items()},
        "config": asdict(cfg), "argonet": __version__,
    }
    (out / "table.md").write_text("Validation split: fake rate at 90 % signal efficiency ± binomial error\n\n"
                                  + downsample_table(rows, steps.pair_names()))
    (out / "results.json").write_text(json.dumps(_json_ready(results), indent=1) + "\n")
    folder.commit()
    _log(f"test split ({test['n_events']} events): " + ", ".join(
        f"{p} {v['fake_rate']:.4f} ± {v['error']:.4f}" for p, v in test["pairs"].items()))
    return results
