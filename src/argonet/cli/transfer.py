"""``argonet transfer``: the staged transfer-learning recipe for event classes, with a side-by-side report.

    argonet transfer data.file=events.h5 model.name=resnet18 model.weights=/path/resnet18.pth
"""

from __future__ import annotations

from argonet.conf.classify import TransferConfig
from argonet.recipes.transfer import TransferResult, transfer


def run(cfg: TransferConfig) -> TransferResult:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return transfer(cfg)
