"""Where a sharded output goes, and whether it can be written: checked before any work starts."""

from __future__ import annotations

import os
from pathlib import Path

from argonet.conf.sim import SimulateConfig
from argonet.errors import ConfigError


def output_path(cfg: SimulateConfig) -> Path:
    """The file this shard writes: ``output`` itself, or ``name.shard<i>of<N>.h5`` when sharded."""
    path = Path(cfg.output)
    if cfg.shard_count > 1:
        path = path.with_name(f"{path.stem}.shard{cfg.shard_index}of{cfg.shard_count}{path.suffix or '.h5'}")
    return path


def check_writable(path: Path, overwrite: bool, field: str = "output") -> None:
    """Fail before any work when the output file cannot be written (ConfigError naming ``field``)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError(field, f"{path} is a folder; name a file in it (e.g. {field}={path / 'events.h5'})")
    if path.exists() and not overwrite:
        raise ConfigError(field, f"{path} already exists; pass overwrite=true to replace it")
    if not folder.is_dir():
        raise ConfigError(field, f"folder {folder} of {path} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConfigError(field, f"folder {folder} of {path} is not writable")
