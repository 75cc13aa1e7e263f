"""Configuration of ``argonet pid``: the particle-identification study on the LArIAT sample."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from argonet.conf.data import DataConfig
from argonet.conf.train import ModelConfig, OptimConfig, RunConfig
from argonet.conf.validate import check as _check

PID_CLASSES = ["SINGLE_E", "SINGLE_GAMMA", "SINGLE_MU", "SINGLE_PI", "SINGLE_P"]


def _pid_data() -> DataConfig:
    """The study's data defaults: the five classes, log1p charge, a 70/15/15 split."""
    return DataConfig(class_names=list(PID_CLASSES), normalise="log1p", split=[0.7, 0.15, 0.15])


@dataclass
class PidStudyConfig:
    """Scan the tick down-sampling on validation, optionally mine misclassified training events, then
    quote the test split once; ``energy`` adds the kinetic-energy regression against the calorimetric sum."""

    data: DataConfig = field(default_factory=_pid_data)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="smallcnn"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(name="adamw", lr=0.001))
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/pid", epochs=5, tensorboard=False))
    detector: str = "lariat"
    downsample: list[int] = field(default_factory=lambda: [1, 2, 4, 8])   # tick factors scanned
    wire_downsample: int = 1
    mining: bool = True                    # retrain with misclassified training events weighted up
    mining_weight: float = 3.0
    per_plane: bool = False                # also one model per plane: efficiency per plane and combined
    energy: bool = True                    # kinetic-energy regression (task=regress) at the chosen factor
    efficiency: float = 0.9
    energy_bins_MeV: list[float] = field(default_factory=lambda: [0.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1500.0,
                                                                  2000.0])
    n_worst: int = 6
    output_dir: str = "docs/studies/particle_id"     # results.json, table.md, figures
    threads: int = 1                       # torch threads

    def __post_init__(self) -> None:
        _check(len(self.downsample) > 0 and all(isinstance(k, int) and 1 <= k <= 64 for k in self.downsample)
               and len(set(self.downsample)) == len(self.downsample), "downsample",
               f"needs distinct tick factors in [1, 64], got {self.downsample}")
        _check(self.wire_downsample >= 1, "wire_downsample", "must be >= 1")
        default = next(f.default for f in fields(DataConfig) if f.name == "downsample")
        _check(self.data.downsample == default, "data.downsample", "is set by the scan: use downsample=[...] "
               "(tick factors) and wire_downsample")
        _check(self.data.class_names is not None and len(self.data.class_names) >= 2, "data.class_names",
               "name the classes (at least 2)")
        _check(self.data.split[1] > 0 and self.data.split[2] > 0, "data.split",
               f"needs validation and test fractions > 0, got {self.data.split}")
        _check(self.mining_weight >= 1.0, "mining_weight", f"must be >= 1 (got {self.mining_weight})")
        _check(0.0 < self.efficiency < 1.0, "efficiency", f"must be in (0, 1) (got {self.efficiency})")
        _check(len(self.energy_bins_MeV) >= 2 and all(b < c for b, c in zip(self.energy_bins_MeV,
                                                                              self.energy_bins_MeV[1:])),
               "energy_bins_MeV", "needs at least 2 increasing edges")
        _check(self.n_worst >= 0, "n_worst", "must be >= 0")
        _check(bool(self.output_dir), "output_dir", "must name a folder")
        _check(1 <= self.threads <= 256, "threads", "must be in [1, 256]")
