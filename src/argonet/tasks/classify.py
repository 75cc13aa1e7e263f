"""Event classification for the training engine: cross-entropy on logits, and the evaluation summary.

A batch is a dataset dict (``image`` (B, C, H, W), ``label`` (B,)) or an ``(inputs, labels)``
pair (cached backbone features); the engine calls ``task(model, batch)`` and ``task.metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from argonet.errors import ConfigError, DataError
from argonet.eval.metrics import auc, classification_report, confusion_matrix, efficiency, roc_curve
from argonet.eval.pid import class_indices, fake_rate_at_efficiency, pair_score
from argonet.models.freezing import eval_mode


def inputs_and_labels(batch: Any) -> tuple[Tensor, Tensor]:
    """(images or features, int64 labels) of a dataset dict or an (x, y, ...) sequence."""
    if isinstance(batch, dict) and "image" in batch and "label" in batch:
        return batch["image"], batch["label"]
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise DataError("classification needs batches with 'image' and 'label' (a ClassificationDataset) "
                    "or (inputs, labels) pairs")


class ClassifyTask:
    """Cross-entropy over ``class_names``; metrics on a whole set: accuracy and mean per-class efficiency."""

    def __init__(self, class_names: Sequence[str], label_smoothing: float = 0.0):
        if len(class_names) < 2:
            raise ConfigError("data.class_names", f"classification needs at least 2 classes, got {list(class_names)}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigError("label_smoothing", f"must be in [0, 1), got {label_smoothing}")
        self.class_names = list(class_names)
        self.label_smoothing = label_smoothing

    def __call__(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        """Loss (mean over the batch), logits (B, n_classes) and targets (B,)."""
        inputs, labels = inputs_and_labels(batch)
        logits = model(inputs)
        if logits.ndim != 2 or logits.shape[1] != len(self.class_names):
            raise ConfigError("model.num_classes", f"the model gives {tuple(logits.shape[1:])} outputs per event "
                              f"for {len(self.class_names)} classes {self.class_names}")
        loss = F.cross_entropy(logits.float(), labels, label_smoothing=self.label_smoothing)
        return {"loss": loss, "output": logits, "target": labels}

    def metrics(self, outputs: Tensor, targets: Tensor) -> dict[str, float]:
        """accuracy, balanced_accuracy (mean efficiency over the classes present) and, for the particle-ID
        pairs among the classes (``eval.pid.PID_PAIRS``), ``fake_rate_at_90_<pair>`` (a sweep objective)."""
        labels = targets.numpy()
        cm = confusion_matrix(labels, outputs.argmax(1).numpy(), len(self.class_names))
        eff = efficiency(cm)
        total = cm.sum()
        found = {"accuracy": float(np.trace(cm) / total) if total else float("nan"),
                 "balanced_accuracy": float(np.nanmean(eff)) if np.isfinite(eff).any() else float("nan")}
        probs = torch.softmax(outputs.float(), dim=1).numpy()
        for pair, (signal, backgrounds) in class_indices(self.class_names).items():
            is_signal, score = pair_score(probs, labels, signal, backgrounds)
            if is_signal.any() and not is_signal.all():
                found[f"fake_rate_at_90_{pair}"] = fake_rate_at_efficiency(is_signal, score, 0.9)["fake_rate"]
        return found


@torch.inference_mode()
def predict(model: nn.Module, batches: Iterable[Any], device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities (N, n_classes) float64 and true labels (N,) over all batches, in eval mode."""
    probs, labels = [], []
    with eval_mode(model):
        for batch in batches:
            inputs, target = inputs_and_labels(batch)
            logits = model(inputs.to(device))
            probs.append(torch.softmax(logits.float(), dim=1).cpu().double().numpy())
            labels.append(target.cpu().numpy())
    if not probs:
        raise DataError("no events to evaluate: the selected split is empty")
    return np.concatenate(probs), np.concatenate(labels).astype(np.int64)


def summarise(probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """The classification report (accuracy, confusion counts and row-normalised, efficiency, purity)
    plus one-vs-rest ROC curves and AUCs per class (classes without signal or background are left out)."""
    cm = confusion_matrix(labels, probs.argmax(1), len(class_names))
    report = classification_report(cm, list(class_names))
    report["roc"], report["auc"] = {}, {}
    for i, name in enumerate(class_names):
        is_signal = labels == i
        if is_signal.all() or not is_signal.any():
            continue
        signal_eff, background_eff, _ = roc_curve(is_signal, probs[:, i])
        report["roc"][name] = {"signal_efficiency": signal_eff.tolist(),
                               "background_efficiency": background_eff.tolist()}
        report["auc"][name] = auc(signal_eff, background_eff)
    return report
