"""Jet-tagging figures of merit from a multi-class classifier: top and W jets against QCD jets (gluon
and light quark), as background rejection 1 / eps_B at a fixed signal efficiency eps_S (50 %).

The binary discriminant of signal s against backgrounds B is p_s / (p_s + sum_b p_b), the ratio of
the class probabilities (optimal when the probabilities are calibrated); only jets of the signal and
background classes enter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from argonet.errors import DataError
from argonet.eval.metrics import auc, background_at_signal_efficiency, roc_curve

#: jet classes under the names argonet's generator and the community files use
JET_ALIASES = {"g": ("g", "gluon"), "q": ("q", "light_quark", "quark"), "t": ("t", "top"), "w": ("w",),
               "z": ("z",)}
#: (name, signal class, background classes) of the standard comparisons
TAGGERS = (("t_vs_qcd", "t", ("g", "q")), ("w_vs_qcd", "w", ("g", "q")))


def jet_classes(class_names: Sequence[str]) -> dict[str, int]:
    """{g, q, t, w, z: index} for the jet classes found among ``class_names`` (case ignored)."""
    lower = [str(name).lower() for name in class_names]
    found = {}
    for key, names in JET_ALIASES.items():
        for name in names:
            if name in lower:
                found[key] = lower.index(name)
                break
    return found


def binary_tagging(probs: np.ndarray, labels: np.ndarray, signal: int, backgrounds: Sequence[int],
                   signal_efficiency: float = 0.5) -> dict[str, Any]:
    """Background efficiency, rejection (None when no background passes: JSON has no infinity) and AUC
    of ``signal`` against ``backgrounds`` at ``signal_efficiency``."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, np.int64)
    keep = np.isin(labels, [signal, *backgrounds])
    is_signal = labels[keep] == signal
    if is_signal.all() or not is_signal.any():
        raise DataError(f"tagging needs jets of the signal class {signal} and of the backgrounds {list(backgrounds)}")
    p_signal = probs[keep, signal]
    p_background = probs[keep][:, list(backgrounds)].sum(axis=1)
    score = p_signal / np.maximum(p_signal + p_background, 1e-300)
    eff_s, eff_b, _ = roc_curve(is_signal, score)
    fake = background_at_signal_efficiency(eff_s, eff_b, signal_efficiency)
    return {"signal_efficiency": float(signal_efficiency), "background_efficiency": fake,
            "rejection": None if fake == 0 else 1.0 / fake, "auc": auc(eff_s, eff_b),
            "n_signal": int(is_signal.sum()), "n_background": int((~is_signal).sum())}


def jet_tagging(probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                signal_efficiency: float = 0.5) -> dict[str, Any]:
    """``{"jet_tagging": {"t_vs_qcd": ..., "w_vs_qcd": ...}}`` for the taggers whose classes are all
    present and populated; ``{}`` when the classes are not jet classes."""
    index = jet_classes(class_names)
    labels = np.asarray(labels, np.int64)
    out = {}
    for name, signal, backgrounds in TAGGERS:
        needed = [signal, *backgrounds]
        if not all(k in index for k in needed) or not all((labels == index[k]).any() for k in needed):
            continue
        out[name] = binary_tagging(probs, labels, index[signal], [index[b] for b in backgrounds], signal_efficiency)
    return {"jet_tagging": out} if out else {}


def format_jet_tagging(tagging: dict[str, Any]) -> str:
    """Printed lines: rejection and AUC per tagger."""
    lines = []
    for name, t in tagging.items():
        rejection = "infinite" if t["rejection"] is None else f"{t['rejection']:.1f}"
        lines.append(f"  {name}: background rejection {rejection} at {t['signal_efficiency']:.0%} signal "
                     f"efficiency, AUC {t['auc']:.4f}")
    return "\n".join(lines)
