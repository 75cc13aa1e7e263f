"""Particle-identification figures of merit as pure numpy functions (arrays in, numbers out).

Conventions (stated once, used everywhere):

* Pairwise signal score: for signal class s against background classes B, only events whose true
  class is s or in B take part, and the score is ``p(s) / (p(s) + Σ_{b∈B} p(b))`` of the softmax
  probabilities (the classifier's other classes drop out, as in a dedicated two-class test).
* Fake rate at a signal efficiency ε: the background efficiency of the ROC curve where it reaches
  ε (interpolated between cuts, ``eval.metrics.background_at_signal_efficiency``). Its statistical
  error is the binomial error of that fraction over the background events, sqrt(f(1 − f)/N_b)
  (the threshold's own fluctuation is left out); with no background event passing, the error is 0
  and ``upper_68`` = 1.14/N_b gives the 68 % one-sided upper limit (−ln 0.32 / N_b).
* A threshold *chosen* on one split (``threshold_at_efficiency``) is applied unchanged to another
  (``rates_at_threshold``): the honest way to quote the test split.
* Efficiency of a class in a bin of true energy: events of that class in the bin classified as
  that class (arg-max) over all events of that class in the bin, with binomial errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from argonet.errors import DataError
from argonet.eval.metrics import background_at_signal_efficiency, binomial_error, roc_curve

#: The pairs of the LArIAT study: name → (signal class, background classes).
PID_PAIRS: dict[str, tuple[str, tuple[str, ...]]] = {
    "e_vs_gamma": ("SINGLE_E", ("SINGLE_GAMMA",)),
    "e_vs_all": ("SINGLE_E", ("SINGLE_GAMMA", "SINGLE_PI", "SINGLE_P")),
    "mu_vs_pi": ("SINGLE_MU", ("SINGLE_PI",)),
    "p_vs_pi": ("SINGLE_P", ("SINGLE_PI",)),
}
UPPER_68_ZERO_EVENTS = -np.log(0.32)      # 1.14: 68 % CL upper limit on a Poisson mean with 0 observed


def pair_score(probs: np.ndarray, labels: np.ndarray, signal: int, backgrounds: Sequence[int]
               ) -> tuple[np.ndarray, np.ndarray]:
    """(is_signal, score) of the events whose true class is signal or a background; score p(s)/(p(s)+Σp(b))."""
    probs, labels = np.asarray(probs, float), np.asarray(labels, np.int64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise DataError(f"probabilities {probs.shape} and labels {labels.shape} do not match")
    if signal in backgrounds:
        raise DataError(f"class {signal} is both signal and background")
    keep = np.isin(labels, [signal, *backgrounds])
    p_sig = probs[keep, signal]
    p_bkg = probs[keep][:, list(backgrounds)].sum(axis=1)
    denominator = p_sig + p_bkg
    score = np.divide(p_sig, denominator, out=np.full(p_sig.shape, 0.5), where=denominator > 0)
    return labels[keep] == signal, score


def fake_rate_at_efficiency(is_signal: np.ndarray, score: np.ndarray, target: float = 0.9) -> dict[str, float]:
    """Fake rate where the ROC reaches ``target`` signal efficiency, its binomial error, N_b and the 0-event limit."""
    is_signal = np.asarray(is_signal, bool)
    signal_eff, background_eff, _ = roc_curve(is_signal, score)
    fake = background_at_signal_efficiency(signal_eff, background_eff, target)
    n_bkg = int((~is_signal).sum())
    error = float(np.sqrt(fake * (1.0 - fake) / n_bkg))
    return {"fake_rate": fake, "error": error, "n_signal": int(is_signal.sum()), "n_background": n_bkg,
            "upper_68": float(UPPER_68_ZERO_EVENTS / n_bkg if fake == 0 else fake + error)}


def threshold_at_efficiency(is_signal: np.ndarray, score: np.ndarray, target: float = 0.9) -> float:
    """The highest score cut ``score >= t`` keeping at least ``target`` of the signal (chosen on one split)."""
    if not 0.0 < target <= 1.0:
        raise DataError(f"signal efficiency must be in (0, 1], got {target}")
    signal_scores = np.sort(np.asarray(score, float)[np.asarray(is_signal, bool)])[::-1]
    if not len(signal_scores):
        raise DataError("no signal events to choose a threshold on")
    return float(signal_scores[int(np.ceil(target * len(signal_scores))) - 1])


def rates_at_threshold(is_signal: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Signal efficiency and fake rate (with binomial errors) of the cut ``score >= threshold``."""
    is_signal, passed = np.asarray(is_signal, bool), np.asarray(score, float) >= threshold
    n_sig, n_bkg = int(is_signal.sum()), int((~is_signal).sum())
    k_sig, k_bkg = int((passed & is_signal).sum()), int((passed & ~is_signal).sum())
    return {"threshold": float(threshold),
            "signal_efficiency": k_sig / n_sig if n_sig else float("nan"),
            "signal_efficiency_error": float(binomial_error(k_sig, n_sig)) if n_sig else float("nan"),
            "fake_rate": k_bkg / n_bkg if n_bkg else float("nan"),
            "fake_rate_error": float(binomial_error(k_bkg, n_bkg)) if n_bkg else float("nan"),
            "n_signal": n_sig, "n_background": n_bkg}


def class_indices(class_names: Sequence[str], pairs: Mapping[str, tuple[str, Sequence[str]]] = PID_PAIRS
                  ) -> dict[str, tuple[int, list[int]]]:
    """The pairs whose signal and at least one background are among class_names, as class indices."""
    index = {name: i for i, name in enumerate(class_names)}
    out = {}
    for pair, (signal, backgrounds) in pairs.items():
        present = [index[b] for b in backgrounds if b in index]
        if signal in index and present:
            out[pair] = (index[signal], present)
    return out


def pid_figures(probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str], target: float = 0.9,
                thresholds: Mapping[str, float] | None = None) -> dict[str, dict]:
    """Per pair: fake rate at ``target`` efficiency with its error, the cut reaching it and the ROC; with
    ``thresholds`` (chosen on another split) also the efficiency and fake rate of those cuts on these events."""
    out = {}
    for pair, (signal, backgrounds) in class_indices(class_names).items():
        is_signal, score = pair_score(probs, labels, signal, backgrounds)
        if is_signal.all() or not is_signal.any():
            continue
        entry = fake_rate_at_efficiency(is_signal, score, target)
        entry["threshold"] = threshold_at_efficiency(is_signal, score, target)
        signal_eff, background_eff, _ = roc_curve(is_signal, score)
        entry["roc"] = {"signal_efficiency": signal_eff.tolist(), "background_efficiency": background_eff.tolist()}
        if thresholds and pair in thresholds:
            entry["at_chosen_threshold"] = rates_at_threshold(is_signal, score, thresholds[pair])
        out[pair] = entry
    return out


def efficiency_vs_energy(labels: np.ndarray, predicted: np.ndarray, energy: np.ndarray, bin_edges: Sequence[float],
                         n_classes: int) -> dict[str, np.ndarray]:
    """Per class and energy bin: ``passed`` and ``total`` counts, ``efficiency`` (NaN when empty) and binomial
    ``error``, arrays of shape (n_classes, n_bins); events outside the edges are left out."""
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    energy, edges = np.asarray(energy, float), np.asarray(bin_edges, float)
    if not (len(labels) == len(predicted) == len(energy)):
        raise DataError(f"labels, predictions and energies differ in length: {len(labels)}, {len(predicted)}, "
                        f"{len(energy)}")
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise DataError(f"energy bin edges must increase, got {edges.tolist()}")
    b = np.searchsorted(edges, energy, side="right") - 1
    inside = (b >= 0) & (b < len(edges) - 1) & (labels >= 0) & (labels < n_classes)
    n_bins = len(edges) - 1
    total = np.bincount(labels[inside] * n_bins + b[inside], minlength=n_classes * n_bins).reshape(n_classes, n_bins)
    hit = inside & (predicted == labels)
    passed = np.bincount(labels[hit] * n_bins + b[hit], minlength=n_classes * n_bins).reshape(n_classes, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(total > 0, passed / np.maximum(total, 1), np.nan)
    return {"bin_edges": edges, "passed": passed, "total": total, "efficiency": eff,
            "error": binomial_error(passed, total)}


def combine_planes(plane_probs: Sequence[np.ndarray]) -> np.ndarray:
    """Combined probabilities of per-plane models: the normalised product (independent views, flat prior)."""
    if not plane_probs:
        raise DataError("no per-plane probabilities to combine")
    log = np.sum([np.log(np.clip(np.asarray(p, float), 1e-12, 1.0)) for p in plane_probs], axis=0)
    log -= log.max(axis=1, keepdims=True)
    out = np.exp(log)
    return out / out.sum(axis=1, keepdims=True)


def worst_misclassified(probs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` misclassified events with the lowest probability of their true class, worst first."""
    probs, labels = np.asarray(probs, float), np.asarray(labels, np.int64)
    wrong = np.flatnonzero(probs.argmax(1) != labels)
    p_true = probs[wrong, labels[wrong]]
    return wrong[np.argsort(p_true, kind="stable")[:max(k, 0)]]


def downsample_table(rows: Sequence[Mapping[str, object]], pairs: Sequence[str] = tuple(PID_PAIRS)) -> str:
    """Markdown table of fake rates (± error) at 90 % efficiency, one row per down-sampling factor."""
    lines = ["| tick down-sampling | " + " | ".join(pairs) + " |", "|---|" + "---|" * len(pairs)]
    for row in rows:
        cells = []
        for pair in pairs:
            entry = row.get("pairs", {}).get(pair)              # type: ignore[union-attr]
            cells.append("–" if entry is None else f"{entry['fake_rate']:.4f} ± {entry['error']:.4f}")
        lines.append(f"| {row['downsample']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
