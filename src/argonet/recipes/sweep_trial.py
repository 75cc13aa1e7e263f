"""One trial of a sweep: an ordinary training run of a ``TrainTaskConfig``, and its measured cost.

``train_trial`` is the single place where a sweep calls into training (dataset, model, task,
loaders, then the engine's ``fit`` with the sweep's per-epoch callbacks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
import math
import time
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from argonet.conf.segment import SEGMENT_MODEL, TrainTaskConfig
from argonet.data.loader import build_dataset, build_loaders
from argonet.errors import DataError
from argonet.tasks.classify import ClassifyTask
from argonet.tasks.segment import SegmentTask
from argonet.train.engine import EpochCallback, FitResult, fit
from argonet.train.model_setup import build_model
from argonet.train.runtime import resolve_device, seed_everything, to_device


@dataclass
class TrialRun:
    """A finished training run: how it ended, the trained model, its task and validation batches."""

    result: FitResult
    model: nn.Module
    task: Any
    val_loader: DataLoader | None


def _spec(dataset: Any, cfg: TrainTaskConfig) -> dict[str, Any]:
    """The input description stored with the checkpoints (read back by evaluation and inference)."""
    data = cfg.data
    spec = {"in_chans": dataset.in_channels, "image_shape": list(dataset.image_shape),
            "planes": list(dataset.plane_ids), "charge": data.charge, "downsample": list(data.factors),
            "crop": None if data.crop_box is None else list(data.crop_box), "crop_mode": data.crop_mode,
            "normalise": data.normalise, "scale": data.scale, "clip": data.clip}
    if cfg.task == "segment":
        spec |= {"labels": data.labels, "label_values": list(data.label_values)}
    return spec


def train_trial(cfg: TrainTaskConfig, callbacks: Sequence[EpochCallback] = ()) -> TrialRun:
    """Train ``cfg`` exactly as ``argonet train`` would, into ``cfg.run.output_dir``, with ``callbacks``."""
    segment = cfg.task == "segment"
    dataset = build_dataset("segmentation" if segment else "classification", cfg.data)
    if len(dataset.class_names) < 2:
        raise DataError(f"{', '.join(cfg.data.paths())}: a single class {dataset.class_names}; need at least 2")
    options = asdict(cfg.uresnet) if segment and cfg.model.name == SEGMENT_MODEL else None
    seed_everything(cfg.run.seed)
    model, _ = build_model(cfg.model, num_classes=len(dataset.class_names), in_chans=dataset.in_channels,
                           options=options)
    if segment:
        task: Any = SegmentTask(dataset.class_names, balance=cfg.loss.balance, focal_gamma=cfg.loss.focal_gamma)
    else:
        task = ClassifyTask(dataset.class_names)
    split = build_loaders(dataset, replace(cfg.data, batch_size=cfg.run.batch_size))
    if "train" not in split or len(split["train"]) == 0:
        raise DataError(f"{len(dataset)} events give no full training batch of {cfg.run.batch_size}")
    result = fit(model, task, split["train"], split.get("val"), optim=cfg.optim, run=cfg.run,
                 class_names=list(dataset.class_names), input_spec=_spec(dataset, cfg),
                 config={"command": "train", **asdict(cfg)}, echo=False, callbacks=callbacks)
    return TrialRun(result, model, task, split.get("val"))


@torch.inference_mode()
def cpu_s_per_event(run: TrialRun, device_name: str, n_batches: int) -> float:
    """Process CPU seconds per event of the model's forward pass (with the task's loss) on validation batches."""
    if run.val_loader is None:
        raise DataError("cost/cpu_s_per_event needs a validation split (data.split)")
    device = resolve_device(device_name)
    model = run.model.to(device).eval()
    cpu_s, events = 0.0, 0
    for i, batch in enumerate(run.val_loader):
        if i >= n_batches:
            break
        batch = to_device(batch, device)
        start = time.process_time()
        out = run.task(model, batch)
        cpu_s += time.process_time() - start
        output = out["output"]
        events += int(output.shape[0]) if output.ndim > 0 else 1
    return cpu_s / events if events else math.nan


def parameter_count(model: nn.Module) -> int:
    """Trainable and frozen parameters of the model."""
    return sum(p.numel() for p in model.parameters())
