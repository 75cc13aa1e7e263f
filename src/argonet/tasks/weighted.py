"""Classification with per-event weights: misclassified-event mining trains with chosen events weighted up.

The loss is Σ w_e·CE_e / Σ w_e over the batch, w_e = ``weights[entry]`` (the batch's ``entry``
indices into the dataset); metrics are those of the plain task.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from argonet.errors import ConfigError, DataError
from argonet.tasks.classify import ClassifyTask, inputs_and_labels


class WeightedClassifyTask(ClassifyTask):
    """Cross-entropy weighted per event by ``weights`` (one value >= 0 per dataset entry)."""

    def __init__(self, class_names: Sequence[str], weights: np.ndarray):
        super().__init__(class_names)
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 1 or np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ConfigError("mining_weight", "event weights must be finite and >= 0, one per entry")
        self.weights = torch.as_tensor(weights)

    def __call__(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        """Weighted loss, logits and targets."""
        if not isinstance(batch, dict) or "entry" not in batch:
            raise DataError("weighted classification needs batches with 'entry' (a dataset's read_batch)")
        inputs, labels = inputs_and_labels(batch)
        logits = model(inputs)
        w = self.weights[batch["entry"].cpu().long()].to(logits.device)
        per_event = F.cross_entropy(logits.float(), labels, reduction="none")
        loss = (w * per_event).sum() / w.sum().clamp_min(1e-12)
        return {"loss": loss, "output": logits, "target": labels}


def mining_weights(n_entries: int, mined: np.ndarray, weight: float) -> np.ndarray:
    """One weight per entry: ``weight`` for the mined entries, 1 for the others."""
    out = np.ones(n_entries, dtype=np.float32)
    out[np.asarray(mined, dtype=np.int64)] = weight
    return out
