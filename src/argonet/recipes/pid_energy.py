"""Energy regression of the particle-identification study: a ln E regression model at the chosen tick
down-sampling against the calorimetric sum of the collection-plane charge (recombination inverted with the
simulator's Modified Box constants), σ(E)/E against true kinetic energy per particle type, on the test split.

The calorimetric sum measures deposited energy; its scale to kinetic energy (leakage out of the small
LArIAT volume, the unseen rest mass of nothing, the induction plane left out) is the median ratio
E_true/E_cal fitted per particle type on the TRAINING split only (an ideal-identification calorimeter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from argonet.conf.pid import PidStudyConfig
from argonet.data.energy import EnergyDataset
from argonet.eval.energy import calibration_scale, calorimetric_energy_MeV, resolution_vs_energy
from argonet.recipes import pid_steps as steps
from argonet.sim.detector import get_detector
from argonet.viz.metrics import save_figure
from argonet.viz.pid import plot_resolution_vs_energy

WINDOWS_MeV = {"0.5_GeV": (400.0, 600.0), "1_GeV": (800.0, 1200.0)}   # "at 0.5 and 1 GeV": ±20 % windows
READ_CHUNK = 64


def calorimetric_sums(cfg: PidStudyConfig, tick_factor: int, entries: np.ndarray) -> np.ndarray:
    """Deposited energy (MeV) per entry from the un-normalised collection-plane image."""
    detector = get_detector(cfg.detector)
    collection = [i for i, plane in enumerate(detector.planes) if plane.collection]
    raw = EnergyDataset.from_config(steps.data_for(cfg, tick_factor, planes=collection[:1], normalise="none"))
    out = np.zeros(len(entries))
    for start in range(0, len(entries), READ_CHUNK):
        chunk = entries[start:start + READ_CHUNK]
        images = raw.read_batch(chunk)["image"].numpy()
        out[start:start + len(chunk)] = [calorimetric_energy_MeV(im[0], detector, collection[0]) for im in images]
    return out


def _per_class(true: np.ndarray, reco: np.ndarray, labels: np.ndarray, names: list[str], edges: list[float]
               ) -> dict[str, dict[str, Any]]:
    """Resolution per class in the study's bins and in the 0.5 and 1 GeV windows."""
    out = {}
    for c, name in enumerate(names):
        sel = labels == c
        if sel.sum() < 2:
            continue
        entry = {k: np.asarray(v).tolist() for k, v in resolution_vs_energy(true[sel], reco[sel], edges).items()}
        for window, (lo, hi) in WINDOWS_MeV.items():
            w = resolution_vs_energy(true[sel], reco[sel], [lo, hi])
            entry[f"at_{window}"] = {"resolution": float(w["resolution"][0]), "error": float(w["error"][0]),
                                     "bias": float(w["bias"][0]), "n": int(w["n"][0])}
        out[name] = entry
    return out


def energy_study(cfg: PidStudyConfig, chosen: steps.Trained, entries: dict[str, np.ndarray], out) -> dict[str, Any]:
    """Train the regression at the chosen factor; σ(E)/E per type on the test split, CNN and calorimetric."""
    k = chosen.data.factors[1]
    regression = steps.train(cfg, chosen.data, f"regress_downsample{k}", regress=True, dataset=chosen.dataset)
    pred, true, labels = steps.predict_energies(regression, entries["test"], cfg.run.device)
    names = chosen.dataset.class_names
    train_cal = calorimetric_sums(cfg, k, entries["train"])
    train_true = chosen.dataset.energy_MeV[entries["train"]].astype(float)
    train_labels = chosen.dataset.targets[entries["train"]]
    scales = {c: calibration_scale(train_true[train_labels == c], train_cal[train_labels == c])
              for c in range(len(names)) if np.any((train_labels == c) & (train_cal > 0))}
    test_cal = calorimetric_sums(cfg, k, entries["test"])
    calorimetric = test_cal * np.array([scales.get(int(c), np.nan) for c in labels])
    ok = np.isfinite(calorimetric)
    results = {"loss": "mean squared error of ln E (MeV)", "downsample": k,
               "calorimetric_scale_per_class": {names[c]: s for c, s in scales.items()},
               "cnn": _per_class(true, pred, labels, names, cfg.energy_bins_MeV),
               "calorimetric": _per_class(true[ok], calorimetric[ok], labels[ok], names, cfg.energy_bins_MeV)}
    fig = plot_resolution_vs_energy({"CNN (ln E regression)": results["cnn"],
                                     "calorimetric sum": results["calorimetric"]}, names)
    save_figure(fig, str(out / "energy_resolution.png"))
    return results
