"""Energy regression of the particle-identification study: a ln E regression model at the chosen tick
down-sampling against the calorimetric sum of the collection-plane charge (recombination inverted with the
simulator's Modified Box constants, eval/energy.py: one R at minimum ionisation, or inverted per wire),
σ(E)/E against true kinetic energy per particle type, on the test split.

The calorimetric sum measures deposited energy; its scale to kinetic energy (leakage out of the small
LArIAT volume, the unseen rest mass of nothing, the induction plane left out) is the median ratio
E_true/E_cal fitted per particle type on the TRAINING split only (an ideal-identification calorimeter).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from argonet.conf.pid import PidStudyConfig
from argonet.data.energy import EnergyDataset
from argonet.eval.energy import CALORIMETRY_METHODS, calibration_scale, calorimetric_energy_MeV, resolution_vs_energy
from argonet.recipes import pid_steps as steps
from argonet.sim.detector import get_detector
from argonet.viz.metrics import save_figure
from argonet.viz.pid import plot_resolution_vs_energy

WINDOWS_MeV = {"0.5_GeV": (400.0, 600.0), "1_GeV": (800.0, 1200.0)}   # "at 0.5 and 1 GeV": ±20 % windows
READ_CHUNK = 64


def calorimetric_sums(cfg: PidStudyConfig, entries: np.ndarray) -> dict[str, np.ndarray]:
    """Deposited energy (MeV) per entry and method from the raw (not down-sampled, not normalised)
    collection-plane image."""
    detector = get_detector(cfg.detector)
    collection = [i for i, plane in enumerate(detector.planes) if plane.collection]
    data = replace(steps.data_for(cfg, 1, planes=collection[:1], normalise="none"), downsample=[1, 1], crop=None)
    raw = EnergyDataset.from_config(data)
    out = {m: np.zeros(len(entries)) for m in CALORIMETRY_METHODS}
    for start in range(0, len(entries), READ_CHUNK):
        chunk = entries[start:start + READ_CHUNK]
        images = raw.read_batch(chunk)["image"].numpy()
        for m in CALORIMETRY_METHODS:
            out[m][start:start + len(chunk)] = [calorimetric_energy_MeV(im[0], detector, collection[0], m)
                                                for im in images]
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
    train_cal, test_cal = calorimetric_sums(cfg, entries["train"]), calorimetric_sums(cfg, entries["test"])
    train_true = chosen.dataset.energy_MeV[entries["train"]].astype(float)
    train_labels = chosen.dataset.targets[entries["train"]]
    results = {"loss": "mean squared error of ln E (MeV)", "downsample": k,
               "cnn": _per_class(true, pred, labels, names, cfg.energy_bins_MeV), "calorimetric_scale_per_class": {}}
    for m in CALORIMETRY_METHODS:
        scales = {c: calibration_scale(train_true[train_labels == c], train_cal[m][train_labels == c])
                  for c in range(len(names)) if np.any((train_labels == c) & (train_cal[m] > 0))}
        calorimetric = test_cal[m] * np.array([scales.get(int(c), np.nan) for c in labels])
        ok = np.isfinite(calorimetric)
        results["calorimetric_scale_per_class"][m] = {names[c]: s for c, s in scales.items()}
        results[f"calorimetric_{m}"] = _per_class(true[ok], calorimetric[ok], labels[ok], names, cfg.energy_bins_MeV)
    fig = plot_resolution_vs_energy({"CNN (ln E regression)": results["cnn"],
                                     "charge sum, R(MIP)": results["calorimetric_mip"],
                                     "charge sum, R per wire": results["calorimetric_wire"]}, names)
    save_figure(fig, str(out / "energy_resolution.png"))
    return results
