"""Configuration of training: the model to build, the optimiser and schedule, and the run itself."""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any

from argonet.conf.validate import check as _check
from argonet.errors import ConfigError

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("cosine", "step", "constant")
AMP_MODES = ("auto", "bf16", "fp16", "off")
DEVICES = ("auto", "cpu", "cuda")


def _check_patterns(patterns: list[str], field_name: str) -> None:
    """Every entry must be a valid regular expression (matched against parameter names)."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ConfigError(field_name, f"invalid regular expression {pattern!r} ({err})") from None


@dataclass
class ModelConfig:
    """Which network, its widths, and where its starting weights come from.

    ``num_classes`` and ``in_chans`` are normally None: they are then read from the dataset's
    metadata (classes, planes) when the task is built, so they are never typed in two places.
    ``options`` are further arguments of the model's builder (``jetcnn``'s ``width``, ``hidden``,
    ``drop_rate``); they are stored in checkpoints, so evaluation rebuilds the same network.
    ``weights`` initialises a backbone for transfer learning (a torchvision state-dict file or a
    torchvision weight name such as IMAGENET1K_V1): the first convolution adapts to ``in_chans``
    and the head is new when the class count differs. ``checkpoint`` continues from an argonet
    checkpoint, which must match the model unless ``replace_head`` allows a new head.
    Patterns are regular expressions matched at the start of parameter names (``^fc\\.``, ``layer[12]``).
    """

    name: str | None = "resnet18"                          # None only where a command picks it (train: by task)
    num_classes: int | None = None         # None: the number of classes in the data
    in_chans: int | None = None            # None: the number of planes in the data
    weights: str | None = None  # pretrained backbone: a torchvision state-dict file or weight name (IMAGENET1K_V1)
    checkpoint: str | None = None          # an argonet checkpoint to start from
    replace_head: bool = False             # with checkpoint: a new head when the class count differs
    load_include: list[str] = field(default_factory=list)   # load only these keys of checkpoint (empty: all)
    load_exclude: list[str] = field(default_factory=list)   # never load these keys of checkpoint
    freeze: list[str] = field(default_factory=list)         # parameters kept fixed during training
    unfreeze: list[str] = field(default_factory=list)       # exceptions to freeze (e.g. the head)
    options: dict[str, Any] = field(default_factory=dict)   # further builder arguments (model.options.width=24)

    def __post_init__(self) -> None:
        _check(self.name is None or bool(self.name), "model.name", "must name a registered model")
        _check(self.num_classes is None or self.num_classes >= 1, "model.num_classes",
               f"must be >= 1 (got {self.num_classes})")
        _check(self.in_chans is None or self.in_chans >= 1, "model.in_chans", f"must be >= 1 (got {self.in_chans})")
        _check(self.weights is None or self.checkpoint is None, "model.weights",
               "pass either model.weights (pretrained backbone) or model.checkpoint (argonet checkpoint), not both")
        for name in ("load_include", "load_exclude", "freeze", "unfreeze"):
            _check_patterns(getattr(self, name), f"model.{name}")
        for key in ("num_classes", "in_chans", "weights"):
            _check(key not in self.options, f"model.options.{key}", f"set model.{key}, not model.options.{key}")


@dataclass
class OptimConfig:
    """Optimiser, per-group learning rates, warm-up and schedule (stepped every optimiser step).

    Group ``i`` of ``n`` from the model's ``group_matcher()`` (stem first, head last) trains with
    ``lr * layer_lr_decay ** (n - 1 - i) * group_lr.get(name, 1)``: with ``layer_lr_decay < 1``
    early layers move less than the head, the usual recipe for fine-tuning a pretrained backbone.
    """

    name: str = "sgd"                      # sgd | adamw
    lr: float = 0.01                       # peak learning rate (after the warm-up)
    weight_decay: float = 1e-4           # not applied to biases and normalisation weights
    momentum: float = 0.9                # SGD momentum (AdamW uses betas)
    nesterov: bool = False                 # Nesterov momentum (SGD)
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])  # AdamW (beta1, beta2)
    layer_lr_decay: float = 1.0            # in (0, 1]: group i of n trains at lr * decay**(n-1-i) (1: one rate)
    group_lr: dict[str, float] = field(default_factory=dict)    # extra multiplier per group name
    warmup_epochs: float = 0.0             # linear warm-up from lr * warmup_start_factor (0: none)
    warmup_start_factor: float = 0.01    # lr fraction at the first step of the warm-up
    schedule: str = "cosine"             # cosine | step | constant after the warm-up
    min_lr_factor: float = 0.0           # cosine ends at lr * min_lr_factor
    step_epochs: float = 30.0            # step: multiply by step_gamma every step_epochs
    step_gamma: float = 0.1                # step: the factor applied every step_epochs
    clip_grad_norm: float | None = None  # max global L2 norm of the gradients; None: no clipping

    def __post_init__(self) -> None:
        _check(self.name in OPTIMIZERS, "optim.name", f"unknown optimizer {self.name!r}", OPTIMIZERS)
        _check(self.lr > 0, "optim.lr", f"must be > 0 (got {self.lr})")
        _check(self.weight_decay >= 0, "optim.weight_decay", "must be >= 0")
        _check(0 <= self.momentum < 1, "optim.momentum", "must be in [0, 1)")
        _check(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "optim.betas",
               "needs two values in [0, 1)")
        _check(0 < self.layer_lr_decay <= 1, "optim.layer_lr_decay", "must be in (0, 1]")
        _check(all(v >= 0 for v in self.group_lr.values()), "optim.group_lr", "multipliers must be >= 0")
        _check(self.warmup_epochs >= 0, "optim.warmup_epochs", "must be >= 0")
        _check(0 < self.warmup_start_factor <= 1, "optim.warmup_start_factor", "must be in (0, 1]")
        _check(self.schedule in SCHEDULES, "optim.schedule", f"unknown schedule {self.schedule!r}", SCHEDULES)
        _check(0 <= self.min_lr_factor <= 1, "optim.min_lr_factor", "must be in [0, 1]")
        _check(self.step_epochs > 0, "optim.step_epochs", "must be > 0")
        _check(0 < self.step_gamma <= 1, "optim.step_gamma", "must be in (0, 1]")
        _check(self.clip_grad_norm is None or self.clip_grad_norm > 0, "optim.clip_grad_norm", "must be > 0")


@dataclass
class RunConfig:
    """How long, on what, with which numerics, and where checkpoints and logs go.

    ``batch_size`` is per process (a DDP job of N processes trains on N * batch_size * accumulate
    images per optimiser step). ``amp=auto`` picks bf16 on GPUs that support it, else fp16 with a
    gradient scaler, and bf16 on CPUs with native bf16 (AVX512-BF16/AMX), else full precision.
    """

    epochs: int = 10                       # passes over the training split
    batch_size: int = 32                   # events per batch and process (the one batch size of training)
    accumulate: int = 1                  # micro-batches per optimiser step
    amp: str = "auto"                    # auto | bf16 | fp16 | off
    channels_last: bool = True           # NHWC images and weights: faster convolutions on CPU (oneDNN) and GPU
    checkpoint_every_steps: int = 0      # 0: only at the end of each epoch and of the run
    output_dir: str = "runs/train"         # checkpoints, train.log, TensorBoard, training_curves.png
    resume: bool = False                 # continue from output_dir/checkpoint.pt
    seed: int = 0                          # initial weights, shuffling and augmentation
    deterministic: bool = False            # deterministic kernels (slower; bit-identical reruns on GPU)
    early_stopping_patience: int = 0     # epochs without a lower validation loss; 0: off
    device: str = "auto"                 # auto | cpu | cuda
    max_steps: int | None = None         # stop (with a checkpoint) after this many optimiser steps
    log_every_steps: int = 10            # TensorBoard scalars of the training loss and lr
    tensorboard: bool = True               # write TensorBoard scalars into output_dir/tensorboard
    progress: bool = True                # tqdm bar (rank 0 only)

    def __post_init__(self) -> None:
        _check(self.epochs >= 1, "run.epochs", f"must be >= 1 (got {self.epochs})")
        _check(self.batch_size >= 1, "run.batch_size", f"must be >= 1 (got {self.batch_size})")
        _check(self.accumulate >= 1, "run.accumulate", f"must be >= 1 (got {self.accumulate})")
        _check(self.amp in AMP_MODES, "run.amp", f"unknown mode {self.amp!r}", AMP_MODES)
        _check(self.checkpoint_every_steps >= 0, "run.checkpoint_every_steps", "must be >= 0")
        _check(bool(self.output_dir), "run.output_dir", "must name a folder")
        _check(self.seed >= 0, "run.seed", "must be >= 0")
        _check(self.early_stopping_patience >= 0, "run.early_stopping_patience", "must be >= 0")
        _check(self.device in DEVICES, "run.device", f"unknown device {self.device!r}", DEVICES)
        _check(self.max_steps is None or self.max_steps >= 1, "run.max_steps", "must be >= 1")
        _check(self.log_every_steps >= 1, "run.log_every_steps", "must be >= 1")
