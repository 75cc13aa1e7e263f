"""What a sweep searches and where: the base training configuration, the space, the options, the
folder and the study's storage (picklable: sent to spawned worker processes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from argonet.conf.sweep import SweepConfig, SweepOptions
from argonet.errors import ConfigError
from argonet.recipes.sweep_space import Param, load_space


@dataclass
class SweepPlan:
    """What every worker needs (picklable: sent to spawned worker processes)."""

    base: dict[str, Any]            # the training configuration every trial starts from
    options: SweepOptions
    space: list[Param]
    folder: Path
    storage_url: str

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """(name, direction) of each objective."""
        return self.options.objectives()

    def describe(self) -> dict[str, Any]:
        """What defines the study (stored with it: a resumed sweep must search the same space)."""
        return {"task": self.base["task"], "objectives": [list(o) for o in self.objectives],
                "space": [p.describe() for p in self.space]}


def make_plan(cfg: SweepConfig) -> SweepPlan:
    """Check the space against ``cfg`` and fix the sweep folder and storage."""
    if not cfg.sweep.space:
        raise ConfigError("sweep.space", "name the search space YAML: sweep.space=space.yaml")
    space = load_space(cfg.sweep.space)
    for param in space:
        group = param.key.split(".")[0]
        if group in ("loss", "uresnet") and cfg.task != "segment":
            raise ConfigError(f"{cfg.sweep.space}: {param.key}", f"only task=segment uses {group} (task is {cfg.task})")
    folder = Path(cfg.sweep.output_dir).resolve()
    base = {k: v for k, v in asdict(cfg).items() if k != "sweep"}
    storage = cfg.sweep.storage or f"sqlite:///{folder / 'study.db'}"
    return SweepPlan(base, cfg.sweep, space, folder, storage)
