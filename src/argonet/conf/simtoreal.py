"""Configuration of ``argonet simtoreal``: train on simulated DUNE CVN-style maps, adapt to and test on real ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from argonet.conf.classify import StageConfig, _finetune_optim, _one_batch_size
from argonet.conf.data import DataConfig
from argonet.conf.train import ModelConfig, OptimConfig, RunConfig
from argonet.conf.validate import check as _check

#: the real CVN events are split per class into an adapt half and a test half (``argonet compare real_events=``)
REAL_PER_CLASS = 100
REAL_SEED = 0


def _data() -> DataConfig:
    """Shared image options of both samples: 8-bit map charge scaled to 0..1 (1/255)."""
    return DataConfig(normalise="scale", scale=1.0 / 255.0)


@dataclass
class SimToRealConfig:
    """``argonet simtoreal sim=<larcv3 file(s)> real=<CVN folder>``: the sim-to-real study on the four CVN classes.

    (a) ``pretrain``: train on the simulated events (split by ``data.split``/``data.seed``), test on
    every real event; (b) ``finetune``: that model fine-tuned on ``per_class`` real events of each
    class (a stratified split fixed by ``real_seed``), tested on the other real events;
    (c) ``scratch``: the same network from the same start (``model.weights`` or random) trained on
    the same real events only, tested on the same other events.
    ``data.*`` image options (planes, downsample, crop, normalisation, flips) apply to both samples alike;
    ``data.file``, ``data.format`` and ``data.class_names`` are set by ``sim``, ``real`` and the CVN classes.
    """

    sim: Any = ""                         # larcv3 file, glob or list: simulated dune_fd maps (image.mode=cvn)
    real: str = ""                        # DUNE CVN folder (dataset_info/ with numu/ nue/ nutau/ nc/)
    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "run.batch_size"}

    data: DataConfig = field(default_factory=_data)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="resnet18"))
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/simtoreal"))
    per_class: int = REAL_PER_CLASS       # real events per class to adapt to; the rest is the real test half
    val_per_class: int = 0                # of those, held out per class for validation (best epoch); 0: none
    real_seed: int = REAL_SEED            # fixes the stratified split of the real events
    sim_checkpoint: str | None = None     # a model trained on simulation before: skips the pretrain stage
    reference: str | None = None          # folder of the official CVN's nue scores (*_scores.npy): drawn on the ROC
    plots: bool = True                    # confusion.png and roc.png in every test folder (report.png always)
    report_dir: str | None = None         # also copy the report here: results.json, report.md/.png (a study's own)
    pretrain: StageConfig = field(default_factory=lambda: StageConfig(epochs=10, optim=OptimConfig(lr=0.01),
                                                                      early_stopping_patience=3))
    finetune: StageConfig = field(default_factory=lambda: StageConfig(epochs=10, optim=_finetune_optim()))
    scratch: StageConfig = field(default_factory=lambda: StageConfig(epochs=30, optim=OptimConfig(lr=0.01)))

    def __post_init__(self) -> None:
        sims = [self.sim] if isinstance(self.sim, str) else self.sim
        _check(isinstance(sims, (list, tuple)) and all(isinstance(s, str) for s in sims), "sim",
               f"expected a path, glob or list of paths, got {self.sim!r}")
        _check(isinstance(self.real, str), "real", f"expected a folder, got {self.real!r}")
        _check(self.data.file in ("", []), "data.file", "the samples are named by sim=... and real=...")
        _check(self.data.format == "larcv3", "data.format",
               "the simulated sample is larcv3 and the real one a CVN folder; leave data.format unset")
        _check(self.data.class_names is None, "data.class_names", "the study uses the four CVN classes")
        _check(self.model.checkpoint is None, "model.checkpoint",
               "the study trains its own models; reuse a simulation-trained one with sim_checkpoint=")
        _check(self.model.num_classes is None, "model.num_classes", "the four CVN classes")
        _check(self.per_class >= 1, "per_class", f"must be >= 1 (got {self.per_class})")
        _check(0 <= self.val_per_class < self.per_class, "val_per_class",
               f"must be in [0, per_class={self.per_class}) (got {self.val_per_class})")
        _check(self.real_seed >= 0, "real_seed", "must be >= 0")
        _one_batch_size(self.data, self.run)
        for name in ("pretrain", "finetune", "scratch"):
            stage: StageConfig = getattr(self, name)
            stage.validate(name)
            _check(name == "pretrain" or self.val_per_class > 0 or stage.early_stopping_patience == 0,
                   f"{name}.early_stopping_patience", "needs validation events: set val_per_class > 0")

    def require_inputs(self) -> tuple[list[str], str]:
        """(simulated files as given, real folder); ConfigError when either is missing (checked when the
        command runs, so that --help works)."""
        sims = [self.sim] if isinstance(self.sim, str) else list(self.sim)
        _check(any(sims), "sim", "name the simulated larcv3 file(s): sim=sim_dune.h5 (or a glob)")
        _check(bool(self.real), "real", "name the real CVN folder: real=../shared/data/dune_cvn/dataset_info")
        return [s for s in sims if s], self.real
