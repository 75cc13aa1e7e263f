"""Configuration of ``argonet sweep``: a training configuration to start from, plus how to search around it."""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any

from argonet.conf.classify import TrainCommandConfig
from argonet.conf.validate import check as _check

SAMPLERS = ("tpe", "random")
PRUNERS = ("auto", "median", "hyperband", "none")
DIRECTIONS = ("minimize", "maximize")
#: measured by the sweep after training, on ``sweep.cost_batches`` validation batches
COST_METRICS = ("cpu_s_per_event", "parameters")
_METRIC = re.compile(r"^(val|train)/\w+(\[\w+\])?$")        # val/accuracy, val/fake_rate_at_90[e_vs_gamma]


def objective_key(name: str) -> str:
    """The key of a training-history record (``val/accuracy`` → ``val_accuracy``,
    ``val/fake_rate_at_90[e_vs_gamma]`` → ``val_fake_rate_at_90_e_vs_gamma``) or of a cost measurement."""
    base, _, pair = name.partition("[")
    return base.replace("/", "_", 1) + (f"_{pair.removesuffix(']')}" if pair else "")


@dataclass
class SweepOptions:
    """What to optimise, how to sample and prune, where trials and the study are kept.

    ``objective`` is one name or a list (multi-objective, with one ``direction`` each):
    ``val/<metric>`` and ``train/loss`` are read from the training history at the epoch of the lowest
    validation loss (the run's best.pt); ``cost/cpu_s_per_event`` is the inference CPU time per event
    on a few validation batches, ``cost/parameters`` the model's size. ``storage`` defaults to a
    SQLite file in ``output_dir``; a ``postgresql://`` URL lets workers on other machines join the study.
    """

    space: str = ""                        # YAML search space (required, checked when the command runs)
    trials: int = 20                       # trials that finish (complete, pruned or failed), all workers together
    objective: Any = "val/loss"            # val/<metric> | train/loss | cost/<measure>, or a list of them
    direction: Any = "minimize"            # minimize | maximize, or one per objective
    sampler: str = "tpe"                   # tpe | random
    seed: int = 0                          # the sampler's seed (worker i uses seed + i)
    pruner: str = "auto"                   # auto (median; none for several objectives) | median | hyperband | none
    prune_startup_trials: int = 2          # median: trials finished before any is pruned
    output_dir: str = "runs/sweep"
    storage: str | None = None             # default sqlite:///<output_dir>/study.db
    study: str = "sweep"                   # study name inside the storage
    workers: int = 1                       # worker processes on this machine sharing the study
    heartbeat_s: int = 60                  # a trial silent for 3x this long is failed and retried (RDB storage)
    cost_batches: int = 4                  # validation batches timed for cost/cpu_s_per_event

    def objectives(self) -> list[tuple[str, str]]:
        """(name, direction) of each objective."""
        names = [self.objective] if isinstance(self.objective, str) else list(self.objective)
        directions = [self.direction] if isinstance(self.direction, str) else list(self.direction)
        if len(directions) == 1 and len(names) > 1:
            directions = directions * len(names)
        return list(zip(names, directions, strict=False))

    def __post_init__(self) -> None:
        names = [self.objective] if isinstance(self.objective, str) else list(self.objective)
        directions = [self.direction] if isinstance(self.direction, str) else list(self.direction)
        _check(len(names) >= 1 and len(set(names)) == len(names), "sweep.objective",
               f"name one or more distinct objectives, got {self.objective!r}")
        for name in names:
            _check(isinstance(name, str) and (bool(_METRIC.match(name)) or name in {f"cost/{c}" for c in COST_METRICS}),
                   "sweep.objective", f"unknown objective {name!r}",
                   ("val/<metric>", "train/loss", *(f"cost/{c}" for c in COST_METRICS)))
        _check(len(directions) in (1, len(names)), "sweep.direction",
               f"give one direction or one per objective ({len(names)}), got {self.direction!r}")
        for direction in directions:
            _check(direction in DIRECTIONS, "sweep.direction", f"unknown direction {direction!r}", DIRECTIONS)
        _check(self.trials >= 1, "sweep.trials", f"must be >= 1 (got {self.trials})")
        _check(self.sampler in SAMPLERS, "sweep.sampler", f"unknown sampler {self.sampler!r}", SAMPLERS)
        _check(self.pruner in PRUNERS, "sweep.pruner", f"unknown pruner {self.pruner!r}", PRUNERS)
        _check(len(names) == 1 or self.pruner in ("auto", "none"), "sweep.pruner",
               f"pruning needs a single objective ({len(names)} given); use sweep.pruner=none")
        _check(self.prune_startup_trials >= 0, "sweep.prune_startup_trials", "must be >= 0")
        _check(self.seed >= 0, "sweep.seed", "must be >= 0")
        _check(bool(self.output_dir), "sweep.output_dir", "must name a folder")
        _check(self.storage is None or "://" in self.storage, "sweep.storage",
               f"expected a database URL (sqlite:///file.db, postgresql://user@host/db), got {self.storage!r}")
        _check(bool(self.study), "sweep.study", "must name the study")
        _check(self.workers >= 1, "sweep.workers", f"must be >= 1 (got {self.workers})")
        _check(self.heartbeat_s >= 1, "sweep.heartbeat_s", "must be >= 1")
        _check(self.cost_batches >= 1, "sweep.cost_batches", "must be >= 1")


@dataclass
class SweepConfig(TrainCommandConfig):
    """``argonet sweep``: the ``argonet train`` configuration every trial starts from, and the search.

    Each trial is that configuration with the sampled values of ``sweep.space`` set, trained in
    ``<sweep.output_dir>/trial_NNNN`` (``run.output_dir`` and ``run.resume`` are set by the sweep).
    """

    sweep: SweepOptions = field(default_factory=SweepOptions)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(not self.run.resume, "run.resume", "a sweep resumes by itself: run the same command again")
