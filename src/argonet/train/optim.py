"""Optimiser with per-layer-group learning rates, and the warm-up + decay schedule, from ``OptimConfig``."""

from __future__ import annotations

import math
import re

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from argonet.conf.train import OptimConfig
from argonet.errors import ConfigError
from argonet.models.protocols import GroupedModel
from argonet.train.runtime import skip_gpu_compiler_without_gpu


def param_groups(model: nn.Module, cfg: OptimConfig) -> list[dict]:
    """Trainable parameters split by the model's ``group_matcher()`` groups and by weight decay.

    Group ``i`` of ``n`` gets ``lr_scale = layer_lr_decay ** (n - 1 - i) * group_lr[name]``;
    parameters no group matches train at the full rate. Biases and normalisation weights (tensors
    of one dimension) get no weight decay.
    """
    matcher = model.group_matcher() if isinstance(model, GroupedModel) else {}
    names = list(matcher)
    for name in cfg.group_lr:
        if name not in names:
            raise ConfigError("optim.group_lr", f"unknown layer group {name!r}", names)
    buckets: dict[tuple[str, bool], list[nn.Parameter]] = {}
    scales: dict[str, float] = {}
    for pname, param in model.named_parameters():
        if not param.requires_grad:
            continue
        index = next((i for i, g in enumerate(names) if re.match(matcher[g], pname)), None)
        group = names[index] if index is not None else "other"
        if group not in scales:
            depth = 0 if index is None else len(names) - 1 - index
            scales[group] = cfg.layer_lr_decay ** depth * cfg.group_lr.get(group, 1.0)
        buckets.setdefault((group, param.ndim > 1), []).append(param)
    if not buckets:
        raise ConfigError("model.freeze", "every parameter is frozen: there is nothing to train")
    return [{"params": params, "name": group, "lr": cfg.lr * scales[group], "lr_scale": scales[group],
             "weight_decay": cfg.weight_decay if decay else 0.0}
            for (group, decay), params in buckets.items()]


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> Optimizer:
    """SGD (momentum, optional Nesterov) or AdamW over ``param_groups``."""
    skip_gpu_compiler_without_gpu()
    groups = param_groups(model, cfg)
    if cfg.name == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov and cfg.momentum > 0,
                               weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)


class LRFactor:
    """Learning-rate multiplier at an optimiser step: linear warm-up, then cosine, step or constant.

    A plain object (not a closure) so that the scheduler's state dict saves and restores it.
    """

    def __init__(self, cfg: OptimConfig, steps_per_epoch: int, epochs: int):
        self.warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
        self.total_steps = max(steps_per_epoch * epochs, 1)
        self.step_size = max(round(cfg.step_epochs * steps_per_epoch), 1)
        self.start, self.schedule = cfg.warmup_start_factor, cfg.schedule
        self.min_factor, self.gamma = cfg.min_lr_factor, cfg.step_gamma

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.start + (1.0 - self.start) * step / self.warmup_steps
        if self.schedule == "cosine":
            t = min((step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1), 1.0)
            return self.min_factor + (1.0 - self.min_factor) * 0.5 * (1.0 + math.cos(math.pi * t))
        if self.schedule == "step":
            return self.gamma ** (step // self.step_size)
        return 1.0


def build_scheduler(optimizer: Optimizer, cfg: OptimConfig, steps_per_epoch: int, epochs: int) -> LambdaLR:
    """Per-step schedule of every group's learning rate (its scale is kept: the factor multiplies it)."""
    return LambdaLR(optimizer, LRFactor(cfg, steps_per_epoch, epochs))
