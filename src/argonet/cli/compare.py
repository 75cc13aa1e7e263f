"""``argonet compare``: how far simulated CVN-style pixel maps are from the real DUNE CVN maps, per event class.

    argonet compare real=../shared/data/dune_cvn/dataset_info sim=sim_cvn.h5 output_dir=runs/compare
"""

from __future__ import annotations

from typing import Any

from argonet.conf.compare import CompareConfig
from argonet.recipes.compare import compare


def run(cfg: CompareConfig) -> dict[str, Any]:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return compare(cfg)
