"""Configuration of ``argonet compare``: simulated CVN-style pixel maps against real DUNE CVN maps."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

from argonet.conf.simtoreal import REAL_PER_CLASS, REAL_SEED
from argonet.conf.validate import check as _check

REAL_EVENTS = ("all", "adapt", "test")


@dataclass
class CompareConfig:
    """``argonet compare real=<CVN folder> sim=<larcv3 file(s)>``: a realism report per event class."""

    real: str = ""                        # DUNE CVN folder; or larcv3 full readouts: REAL.h5 or reference:sbnd
    sim: Any = ""                         # larcv3 file, glob or list of files of simulated CVN-style maps
    charge: str = "sbndwire"              # sparse2d producer of the simulated charge (argonet simulate writes sbndwire)
    output_dir: str = "runs/compare"      # written complete or not at all
    overwrite: bool = False               # replace an existing output folder
    max_events: int | None = None         # per class and sample (None: every event)
    tolerance: float = 0.30               # medians agree when |sim / real - 1| <= tolerance
    examples: bool = True                 # also draw one real and one simulated event per class
    real_events: str = "all"              # CVN events compared: all | adapt | test (the halves of argonet simtoreal)
    per_class: int = REAL_PER_CLASS       # real_events=adapt|test: adapt events per class, as simtoreal's per_class
    real_seed: int = REAL_SEED            # real_events=adapt|test: seed of the split, as simtoreal's real_seed

    def __post_init__(self) -> None:
        sims = [self.sim] if isinstance(self.sim, str) else self.sim
        _check(isinstance(sims, (list, tuple)) and all(isinstance(s, str) for s in sims), "sim",
               f"expected a path or a list of paths, got {self.sim!r}")
        _check(bool(self.charge), "charge", "name the sparse2d charge producer of the simulated file")
        _check(bool(self.output_dir), "output_dir", "must name a folder")
        _check(self.max_events is None or self.max_events >= 1, "max_events", "must be >= 1 (or null for all)")
        _check(math.isfinite(self.tolerance) and 0 < self.tolerance < 10, "tolerance", "must be in (0, 10)")
        _check(self.real_events in REAL_EVENTS, "real_events", f"unknown selection {self.real_events!r}", REAL_EVENTS)
        _check(self.per_class >= 1, "per_class", f"must be >= 1 (got {self.per_class})")
        _check(self.real_seed >= 0, "real_seed", "must be >= 0")

    def require_inputs(self) -> tuple[str, list[str]]:
        """(real folder, simulated files); ConfigError when either is missing (checked at run, so --help works)."""
        _check(bool(self.real), "real", "name the real CVN folder: real=../shared/data/dune_cvn/dataset_info")
        sims = [self.sim] if isinstance(self.sim, str) else list(self.sim)
        _check(any(sims), "sim", "name the simulated larcv3 file(s): sim=sim_cvn.h5")
        return self.real, [s for s in sims if s]
