"""``argonet simulate``: make a labelled sample and write it as larcv3 HDF5, atomically."""

from __future__ import annotations

import os
from pathlib import Path
import time

from tqdm import tqdm

from argonet import __version__
from argonet.cli.config import to_yaml
from argonet.conf.sim import SimulateConfig
from argonet.errors import ConfigError
from argonet.io import Larcv3Writer
from argonet.sim.detector import get_detector
from argonet.sim.pipeline import shard_indices, simulate_event


def output_path(cfg: SimulateConfig) -> Path:
    """The file this shard writes: ``output`` itself, or ``name.shard<i>of<N>.h5`` when sharded."""
    path = Path(cfg.output)
    if cfg.shard_count > 1:
        path = path.with_name(f"{path.stem}.shard{cfg.shard_index}of{cfg.shard_count}{path.suffix or '.h5'}")
    return path


def check_writable(path: Path, overwrite: bool) -> None:
    """Fail before any work when the output cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not overwrite:
        raise ConfigError("output", f"{path} exists; pass overwrite=true to replace it")
    if path.is_dir():
        raise ConfigError("output", f"{path} is a directory")
    if not folder.is_dir():
        raise ConfigError("output", f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConfigError("output", f"folder {folder} is not writable")


def run(cfg: SimulateConfig) -> Path:
    """Simulate this shard's events and write them; returns the output path."""
    if cfg.generator.name == "jets":            # pp collisions: a jet-image file, not larcv3
        from argonet.cli.simulate_jets import run as run_jets
        return run_jets(cfg)
    detector = get_detector(cfg.detector)
    path = output_path(cfg)
    check_writable(path, cfg.overwrite)
    config_text = to_yaml(cfg)
    print(f"argonet {__version__} simulate\n{config_text}", flush=True)
    indices = shard_indices(cfg)
    start = time.perf_counter()
    attrs = {"argonet_version": __version__, "argonet_config": config_text, "argonet_command": "simulate"}
    with Larcv3Writer(path, overwrite=cfg.overwrite, attrs=attrs) as writer:
        for index in tqdm(indices, desc="simulate", unit="ev", disable=not cfg.progress, mininterval=0.5):
            writer.write(simulate_event(cfg, index, detector))
    elapsed = time.perf_counter() - start
    print(f"wrote {len(indices)} events to {path} in {elapsed:.1f} s ({len(indices) / elapsed:.1f} events/s)")
    return path
