"""Configuration of ``argonet train`` (every task), ``argonet evaluate`` and ``argonet transfer``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

from argonet.conf.data import DataConfig
from argonet.conf.segment import SEGMENT_MODEL, LossConfig, UResNetConfig
from argonet.conf.train import DEVICES, ModelConfig, OptimConfig, RunConfig
from argonet.conf.validate import check as _check

TASKS = ("classify", "segment", "regress")
#: the model of each task when ``model.name`` is left unset
TASK_MODELS = {"classify": "resnet18", "segment": SEGMENT_MODEL, "regress": "resnet18"}
EVAL_SPLITS = ("test", "val", "train", "all")


def _one_batch_size(data: DataConfig, run: RunConfig) -> None:
    """The batch size is ``run.batch_size``; a different ``data.batch_size`` is the same number typed twice."""
    default = next(f.default for f in fields(DataConfig) if f.name == "batch_size")
    _check(data.batch_size in (default, run.batch_size), "data.batch_size",
           f"is {data.batch_size} but run.batch_size is {run.batch_size}; set the batch size once, as run.batch_size")


@dataclass
class TrainCommandConfig:
    """``argonet train``: a dataset, a model whose widths come from it, the optimiser and the run; with
    ``task=segment`` also the segmentation network's shape and loss.

    ``model.name`` left unset (null) is the task's model (``TASK_MODELS``: classify resnet18, segment
    uresnet); a name that is given is kept. The ``uresnet`` and ``loss`` groups are refused with
    ``task=classify``.
    """

    #: keys of the sections that another key replaces on the command line (compose refuses them)
    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "run.batch_size"}
    #: sections shown by --help only for these tasks
    HELP_TASK_SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {"uresnet": ("segment",), "loss": ("segment",)}

    task: str = "classify"                 # classify (event class) | segment (class of every pixel)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name=None))
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)
    uresnet: UResNetConfig = field(default_factory=UResNetConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    overwrite: bool = False               # replace a run already in run.output_dir (else refused; see run.resume)

    def __post_init__(self) -> None:
        _check(self.task in TASKS, "task", f"unknown task {self.task!r}", TASKS)
        _one_batch_size(self.data, self.run)
        if self.model.name is None:
            self.model.name = TASK_MODELS[self.task]
        if self.task != "segment":
            _check(self.uresnet == UResNetConfig(), "uresnet", f"only task=segment uses it (task is {self.task})")
            _check(self.loss == LossConfig(), "loss", f"only task=segment uses it (task is {self.task})")


@dataclass
class EvaluateConfig:
    """``argonet evaluate``: a checkpoint on a data file; data options left at their defaults take the
    values stored in the checkpoint (the training run's planes, crop, normalisation, split and seed)."""

    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "batch_size"}

    checkpoint: str = ""                  # required (checked when the command runs, so that --help works)
    data: DataConfig = field(default_factory=DataConfig)
    split: str = "test"                   # which split of the seeded train/val/test split: test | val | train | all
    output_dir: str = "runs/evaluate"      # metrics.json, confusion.png, roc.png, predictions.csv
    batch_size: int = 32                   # events per batch
    device: str = "auto"                   # auto | cpu | cuda

    def require_checkpoint(self) -> str:
        """The checkpoint path; ConfigError when none was given."""
        _check(bool(self.checkpoint), "checkpoint", "name the checkpoint to evaluate: checkpoint=runs/train/best.pt")
        return self.checkpoint

    def __post_init__(self) -> None:
        _check(self.split in EVAL_SPLITS, "split", f"unknown split {self.split!r}", EVAL_SPLITS)
        _check(bool(self.output_dir), "output_dir", "must name a folder")
        _check(self.batch_size >= 1, "batch_size", f"must be >= 1 (got {self.batch_size})")
        _check(self.device in DEVICES, "device", f"unknown device {self.device!r}", DEVICES)


@dataclass
class StageConfig:
    """One training stage of the transfer recipe: its length, optimiser and early stopping."""

    epochs: int = 5                        # passes over the stage's training events
    optim: OptimConfig = field(default_factory=OptimConfig)
    early_stopping_patience: int = 0      # epochs without a lower validation loss; 0: off

    def validate(self, name: str) -> None:
        """Check the stage's own fields, naming them ``<name>.<field>``."""
        _check(self.epochs >= 1, f"{name}.epochs", f"must be >= 1 (got {self.epochs})")
        _check(self.early_stopping_patience >= 0, f"{name}.early_stopping_patience", "must be >= 0")


def _finetune_optim() -> OptimConfig:
    """Fine-tuning: ten times lower rate, early layers slower still, and a warm-up."""
    return OptimConfig(lr=0.001, layer_lr_decay=0.5, warmup_epochs=1.0)


@dataclass
class TransferConfig:
    """``argonet transfer``: baseline on ``baseline_classes`` → new head on ``classes`` over cached
    features of the frozen backbone → evaluation on the test split → full fine-tuning → evaluation.

    ``baseline_classes`` must be the first entries of ``classes`` so that their label indices agree.
    ``model.weights`` starts the baseline from pretrained weights (else from scratch);
    ``baseline_checkpoint`` reuses a baseline trained before (its classes must be ``baseline_classes``).
    """

    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "run.batch_size"}

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="resnet18"))
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/transfer"))
    baseline_classes: list[str] = field(default_factory=lambda: ["CCQE", "CCRES"])  # the first entries of classes
    classes: list[str] = field(default_factory=lambda: ["CCQE", "CCRES", "NCQE", "NCRES"])  # head, fine-tune stages
    baseline: StageConfig = field(default_factory=StageConfig)
    baseline_checkpoint: str | None = None    # an earlier baseline's checkpoint: skip the baseline stage
    head: StageConfig = field(default_factory=lambda: StageConfig(epochs=10, optim=OptimConfig(lr=0.01)))
    finetune: StageConfig = field(default_factory=lambda: StageConfig(epochs=5, optim=_finetune_optim(),
                                                                       early_stopping_patience=2))
    report_dir: str | None = None     # folder of results.json, report.md/.png (a study's own); None: run.output_dir

    def __post_init__(self) -> None:
        _check(len(self.classes) >= 2 and len(set(self.classes)) == len(self.classes), "classes",
               f"needs at least 2 distinct class names, got {self.classes}")
        n = len(self.baseline_classes)
        _check(n >= 2 and self.classes[:n] == self.baseline_classes, "baseline_classes",
               f"must be at least 2 classes and the first entries of classes {self.classes}, "
               f"got {self.baseline_classes}")
        _check(n < len(self.classes), "classes", "must add classes to baseline_classes")
        _check(self.data.class_names is None, "data.class_names", "the transfer classes are set by classes=[...]")
        _check(self.model.checkpoint is None, "model.checkpoint",
               "the transfer recipe trains its own baseline; start it from model.weights")
        _check(self.model.num_classes is None, "model.num_classes", "taken from baseline_classes and classes")
        _check(self.baseline_checkpoint is None or self.model.weights is None, "baseline_checkpoint",
               "the baseline checkpoint replaces the baseline stage; model.weights would not be used")
        _one_batch_size(self.data, self.run)
        for name in ("baseline", "head", "finetune"):
            getattr(self, name).validate(name)
