"""Energy regression for the training engine: the model's single output y gives the particle's kinetic
energy as ln(E/MeV) = y + ln(REFERENCE_MeV); the loss is the mean squared error on ln E (for small
errors ≈ the squared relative error, so every energy counts alike); metrics on a whole set: the
resolution and bias of E = exp(ln E).

A batch is an EnergyDataset dict (``image``, ``energy`` (B,) MeV, ``label``).
"""

from __future__ import annotations

from collections.abc import Iterable
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from argonet.errors import ConfigError, DataError
from argonet.eval.energy import relative_residuals
from argonet.models.freezing import eval_mode

MIN_ENERGY_MeV = 1e-3          # floor of the target before the logarithm
REFERENCE_MeV = 500.0          # the model's raw output is ln(E/REFERENCE_MeV): 0 at initialisation is mid-range


def log_energy_loss(predicted_log_MeV: Tensor, energy_MeV: Tensor) -> Tensor:
    """Mean of (predicted ln E − ln E_true)² (E in MeV; the target floored at MIN_ENERGY_MeV)."""
    target = torch.log(energy_MeV.float().clamp_min(MIN_ENERGY_MeV))
    return torch.mean((predicted_log_MeV.float().reshape(-1) - target.reshape(-1)) ** 2)


def _inputs_and_energy(batch: Any) -> tuple[Tensor, Tensor]:
    """(images, energies in MeV) of an EnergyDataset batch."""
    if isinstance(batch, dict) and "image" in batch and "energy" in batch:
        return batch["image"], batch["energy"]
    raise DataError("energy regression needs batches with 'image' and 'energy' (an EnergyDataset)")


class RegressTask:
    """ln E regression: loss ``log_energy_loss``; metrics ``resolution`` (std of (E−E_true)/E_true), ``bias``."""

    def __call__(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        """Loss, predicted ln(E/MeV) (B,) and true energies (B,) in MeV."""
        images, energy = _inputs_and_energy(batch)
        out = model(images)
        if out.ndim != 2 or out.shape[1] != 1:
            raise ConfigError("model.num_classes", f"energy regression needs one output per event, the model gives "
                              f"{tuple(out.shape[1:])}")
        out = out[:, 0].float() + math.log(REFERENCE_MeV)
        return {"loss": log_energy_loss(out, energy), "output": out, "target": energy}

    def metrics(self, outputs: Tensor, targets: Tensor) -> dict[str, float]:
        """resolution and bias of exp(output) against the true energies."""
        r = relative_residuals(targets.double().numpy(), np.exp(outputs.double().numpy()))
        return {"resolution": float(r.std(ddof=1)) if len(r) > 1 else float("nan"), "bias": float(r.mean())}


@torch.inference_mode()
def predict_energy(model: nn.Module, batches: Iterable[Any], device: torch.device
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted E MeV, true E MeV, class labels) over all batches, in eval mode."""
    pred, true, labels = [], [], []
    with eval_mode(model):
        for batch in batches:
            images, energy = _inputs_and_energy(batch)
            log_e = model(images.to(device))[:, 0].float().cpu().double().numpy() + math.log(REFERENCE_MeV)
            pred.append(np.exp(log_e))
            true.append(energy.cpu().double().numpy())
            labels.append(batch["label"].cpu().numpy())
    if not pred:
        raise DataError("no events to evaluate: the selected split is empty")
    return np.concatenate(pred), np.concatenate(true), np.concatenate(labels).astype(np.int64)
