"""``argonet simulate generator=jets``: labelled jets of pp collisions (Pythia 8 + FastJet) written as
an HSF-layout jet-image file: ``images`` (N, 20, 20), ``labels`` (N,), ``features`` table.

    argonet simulate generator=jets n_events=10000 seed=1 output=jets.h5
    argonet simulate generator=jets n_events=100000 shard=0/2 output=jets.h5   # -> jets.shard0of2.h5
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
import time

import numpy as np
from omegaconf import OmegaConf

from argonet import __version__
from argonet.io.outputs import check_writable, output_path
from argonet.conf.sim import SimulateConfig
from argonet.io import write_jet_images
from argonet.sim.jets import generate_jets
from argonet.sim.jets.generate import GROOMED_IMAGES
from argonet.sim.pipeline import shard_indices

PIXEL_VALUES = {"pt_GeV": "pT in GeV", "pt_fraction": "pT / jet pT"}


def config_text(cfg: SimulateConfig) -> str:
    """The options a jet sample depends on, as YAML (the detector, physics and image groups do not apply)."""
    used = {"generator": asdict(cfg.generator), "n_events": cfg.n_events,
            "seed": cfg.seed, "shard": cfg.shard, "output": cfg.output, "overwrite": cfg.overwrite}
    return OmegaConf.to_yaml(OmegaConf.create(used))


def simulate_jets(cfg: SimulateConfig) -> Path:
    """Generate this shard's jets and write them atomically; returns the output path."""
    path = output_path(cfg)
    check_writable(path, cfg.overwrite)
    text = config_text(cfg)
    print(f"argonet {__version__} simulate\n{text}", flush=True)
    options = cfg.generator.jets
    indices = shard_indices(cfg)
    start = time.perf_counter()
    images, labels, features, groomed = generate_jets(options, cfg.seed, indices, cfg.progress)
    elapsed = time.perf_counter() - start
    attrs = {"argonet_version": __version__, "argonet_config": text, "argonet_command": "simulate",
             "generator": "Pythia 8 + FastJet anti-kT", "pixel_values": PIXEL_VALUES[options.intensity],
             "image_axes": "row: phi' from -w to +w, column: rapidity' from -w to +w",
             "image_half_width": options.image_half_width}
    write_jet_images(path, images, labels, options.class_names, features=features, attrs=attrs,
                     overwrite=cfg.overwrite, extra_images=None if groomed is None else {GROOMED_IMAGES: groomed})
    counts = ", ".join(f"{name} {int(n)}" for name, n in
                       zip(options.class_names, np.bincount(labels, minlength=len(options.class_names))))
    tries = features["n_tries"].sum() if len(features) else 0
    print(f"wrote {len(labels)} jets ({counts}) from {tries} events to {path} in {elapsed:.1f} s "
          f"({len(labels) / elapsed:.1f} jets/s on one core)")
    return path
