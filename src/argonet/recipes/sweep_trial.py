"""One trial of a sweep: an ordinary ``argonet train`` run (the library function ``recipes.train.train``,
with the sweep's per-epoch callbacks), and the measured cost of the network it trained."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
import math
from pathlib import Path
import time

import torch
from torch import nn

from argonet.conf.classify import TrainCommandConfig
from argonet.data.loader import build_dataset, build_loaders
from argonet.errors import DataError
from argonet.recipes.train import train
from argonet.train.checkpoint import from_checkpoint
from argonet.train.engine import EpochCallback, FitResult
from argonet.train.runtime import resolve_device, to_device


def train_trial(cfg: TrainCommandConfig, callbacks: Sequence[EpochCallback] = ()) -> FitResult:
    """Train ``cfg`` exactly as ``argonet train`` does, into ``cfg.run.output_dir``, with ``callbacks``."""
    return train(cfg, callbacks)


def trained_model(checkpoint: Path) -> nn.Module:
    """The network a trial's checkpoint holds, in evaluation mode."""
    model, _ = from_checkpoint(checkpoint)
    return model.eval()


@torch.inference_mode()
def cpu_s_per_event(cfg: TrainCommandConfig, model: nn.Module, n_batches: int) -> float:
    """Process CPU seconds per event of the network's forward pass on the first validation batches."""
    dataset = build_dataset("segmentation" if cfg.task == "segment" else "classification", cfg.data)
    val = build_loaders(dataset, replace(cfg.data, batch_size=cfg.run.batch_size)).get("val")
    if val is None:
        raise DataError("cost/cpu_s_per_event needs a validation split (data.split)")
    device = resolve_device(cfg.run.device)
    model = model.to(device).eval()
    cpu_s, events = 0.0, 0
    for i, batch in enumerate(val):
        if i >= n_batches:
            break
        images = to_device(batch["image"], device)
        start = time.process_time()
        model(images)
        cpu_s += time.process_time() - start
        events += int(images.shape[0])
    return cpu_s / events if events else math.nan


def parameter_count(model: nn.Module) -> int:
    """Trainable and frozen parameters of the model."""
    return sum(p.numel() for p in model.parameters())
