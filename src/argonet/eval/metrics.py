"""Physics-grade evaluation metrics as pure numpy functions (no torch, no files).

Conventions: ``cm[i, j]`` counts events of true class i predicted as j. Efficiency of class i is
``cm[i, i] / sum_j cm[i, j]`` (the row), purity is ``cm[i, i] / sum_k cm[k, i]`` (the column).
These few numpy lines are kept rather than a metrics library: they take arrays from any source
without torch, treat tied scores exactly, and are checked against hand-computed values and
scikit-learn in the tests.
"""

from __future__ import annotations

import numpy as np

from argonet.errors import DataError


def confusion_matrix(target: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes), rows true class, columns predicted class."""
    target = np.asarray(target, dtype=np.int64).ravel()
    predicted = np.asarray(predicted, dtype=np.int64).ravel()
    if target.shape != predicted.shape:
        raise DataError(f"target and prediction differ in length: {target.size} vs {predicted.size}")
    for name, a in (("target", target), ("prediction", predicted)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise DataError(f"{name} labels must lie in [0, {num_classes - 1}], found {a.min()}..{a.max()}")
    return np.bincount(target * num_classes + predicted, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den with NaN where den == 0 (an undefined rate is not zero)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def row_normalised(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its sum: the fraction of true class i predicted as j."""
    return _safe_ratio(cm, cm.sum(axis=1, keepdims=True))


def efficiency(cm: np.ndarray) -> np.ndarray:
    """Per class: correctly classified / all events of that true class (recall)."""
    return _safe_ratio(np.diag(cm), cm.sum(axis=1))


def purity(cm: np.ndarray) -> np.ndarray:
    """Per class: correctly classified / all events predicted as that class (precision)."""
    return _safe_ratio(np.diag(cm), cm.sum(axis=0))


def accuracy(cm: np.ndarray) -> float:
    """Fraction of all events on the diagonal."""
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")


def binomial_error(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Standard error of an efficiency k/n (normal approximation, 0 where k = 0 or n)."""
    p = _safe_ratio(k, n)
    return np.sqrt(_safe_ratio(p * (1 - p), n))


def roc_curve(is_signal: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signal efficiency, background efficiency, thresholds), cutting ``score >= threshold``.

    Starts at (0, 0) and ends at (1, 1); tied scores move both efficiencies together.
    """
    is_signal = np.asarray(is_signal, bool).ravel()
    score = np.asarray(score, float).ravel()
    n_sig, n_bkg = is_signal.sum(), (~is_signal).sum()
    if n_sig == 0 or n_bkg == 0:
        raise DataError(f"a ROC curve needs signal and background events (signal {n_sig}, background {n_bkg})")
    order = np.argsort(-score, kind="stable")
    s, sig = score[order], is_signal[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tp = np.cumsum(sig)[last_of_tie]
    fp = np.cumsum(~sig)[last_of_tie]
    return (np.r_[0.0, tp / n_sig], np.r_[0.0, fp / n_bkg], np.r_[np.inf, s[last_of_tie]])


def auc(signal_eff: np.ndarray, background_eff: np.ndarray) -> float:
    """Area under the ROC curve (trapezoids over background efficiency)."""
    return float(np.trapezoid(signal_eff, background_eff))


def background_at_signal_efficiency(signal_eff: np.ndarray, background_eff: np.ndarray, target: float) -> float:
    """Lowest background efficiency (fake rate) reaching a signal efficiency, interpolated between cuts."""
    if not 0.0 < target <= 1.0:
        raise DataError(f"signal efficiency must be in (0, 1], got {target}")
    i = int(np.searchsorted(signal_eff, target, side="left"))   # first cut reaching the target
    if np.isclose(signal_eff[i], target) or i == 0:
        return float(background_eff[i])
    s0, s1, b0, b1 = signal_eff[i - 1], signal_eff[i], background_eff[i - 1], background_eff[i]
    return float(b0 + (b1 - b0) * (target - s0) / (s1 - s0))


def rejection_at_signal_efficiency(signal_eff: np.ndarray, background_eff: np.ndarray, target: float) -> float:
    """1 / fake rate at a fixed signal efficiency (inf when no background passes)."""
    fake = background_at_signal_efficiency(signal_eff, background_eff, target)
    return float("inf") if fake == 0 else 1.0 / fake


def iou(cm: np.ndarray) -> np.ndarray:
    """Per class intersection over union from a pixel confusion matrix: TP / (TP + FP + FN)."""
    tp = np.diag(cm)
    return _safe_ratio(tp, cm.sum(axis=0) + cm.sum(axis=1) - tp)


def classification_report(cm: np.ndarray, class_names: list[str] | tuple[str, ...]) -> dict:
    """Accuracy, confusion (counts and row-normalised), efficiency and purity per class, JSON-ready."""
    if cm.shape != (len(class_names), len(class_names)):
        raise DataError(f"confusion matrix {cm.shape} does not match {len(class_names)} class names")
    eff, pur = efficiency(cm), purity(cm)
    return {
        "accuracy": accuracy(cm),
        "n_events": int(cm.sum()),
        "class_names": list(class_names),
        "confusion": cm.astype(int).tolist(),
        "confusion_row_normalised": [[_json_float(v) for v in row] for row in np.round(row_normalised(cm), 6)],
        "efficiency": {c: _json_float(e) for c, e in zip(class_names, eff)},
        "efficiency_error": {c: _json_float(e) for c, e in zip(class_names, binomial_error(np.diag(cm), cm.sum(1)))},
        "purity": {c: _json_float(p) for c, p in zip(class_names, pur)},
    }


def _json_float(x: float) -> float | None:
    """NaN → None so the report is valid JSON."""
    return None if np.isnan(x) else float(x)
