"""``argonet simtoreal``: the sim-to-real study on the DUNE CVN classes (NUMU_CC, NUE_CC, NUTAU_CC, NC).

    argonet simtoreal sim='sim_dune.shard*of2.h5' real=../shared/data/dune_cvn/dataset_info data.downsample=[2,2]
"""

from __future__ import annotations

from typing import Any

from argonet.conf.simtoreal import SimToRealConfig
from argonet.recipes.simtoreal import simtoreal


def run(cfg: SimToRealConfig) -> dict[str, Any]:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return simtoreal(cfg)
