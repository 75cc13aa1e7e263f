"""Make a labelled sample and write it atomically (``argonet simulate``); the generator picks the writer."""

from __future__ import annotations

from pathlib import Path
import time

from tqdm import tqdm

from argonet import __version__
from argonet.conf.compose import echo
from argonet.conf.sim import SimulateConfig
from argonet.io import Larcv3Writer
from argonet.io.outputs import check_writable, output_path
from argonet.sim.detector import get_detector
from argonet.sim.kernels import prepare_kernels
from argonet.sim.pipeline import shard_indices, simulate_event


def simulate(cfg: SimulateConfig) -> Path:
    """Simulate this shard's events and write them; returns the output path."""
    if cfg.generator.name == "jets":            # pp collisions: a jet-image file, not larcv3
        from argonet.recipes.simulate_jets import simulate_jets   # here: Pythia and fastjet take ~1 s to import

        return simulate_jets(cfg)
    detector = get_detector(cfg.detector)
    path = output_path(cfg)
    check_writable(path, cfg.overwrite)
    config_text = echo("simulate", cfg)
    indices = shard_indices(cfg)
    if len(indices):
        prepare_kernels(cfg, detector, indices[0])      # first run: compile before the progress bar
    start = time.perf_counter()
    attrs = {"argonet_version": __version__, "argonet_config": config_text, "argonet_command": "simulate"}
    with Larcv3Writer(path, overwrite=cfg.overwrite, attrs=attrs) as writer:
        for index in tqdm(indices, desc="simulate", unit="ev", disable=not cfg.progress, mininterval=0.5):
            writer.write(simulate_event(cfg, index, detector))
    elapsed = time.perf_counter() - start
    print(f"wrote {len(indices)} events to {path} in {elapsed:.1f} s ({len(indices) / elapsed:.1f} events/s)")
    return path
