"""``argonet simulate``: make a labelled sample and write it, atomically.

    argonet simulate generator=interactions n_events=500 detector=sbnd seed=3 output=events.h5
    argonet simulate generator=jets n_events=10000 seed=1 output=jets.h5   # HSF-layout jet images

The generator picks the writer (larcv3 HDF5, or jet images for ``generator=jets``).
"""

from __future__ import annotations

from pathlib import Path

from argonet.conf.sim import SimulateConfig
from argonet.recipes.simulate import simulate


def run(cfg: SimulateConfig) -> Path:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return simulate(cfg)
