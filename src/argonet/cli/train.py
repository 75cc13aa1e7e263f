"""``argonet train``: train a model on larcv3 files with the one training engine; ``task`` picks what.

    argonet train task=classify model.name=resnet18 data.file=events.h5 run.epochs=10
    argonet train task=segment data.file=events.h5 data.downsample=[4,4] uresnet.depth=5 loss.balance=light
"""

from __future__ import annotations

from argonet.conf.classify import TrainCommandConfig
from argonet.recipes.train import train
from argonet.train.engine import FitResult


def run(cfg: TrainCommandConfig) -> FitResult:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return train(cfg)
