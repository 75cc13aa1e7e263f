"""``argonet iotest``: read batches exactly as training would and report events/s and MB/s.

    argonet iotest data.file=events.h5 data.downsample=2 run.minibatch_size=16 run.iterations=50
"""

from __future__ import annotations

from argonet.conf.data import IotestConfig
from argonet.recipes.iotest import iotest


def run(cfg: IotestConfig) -> dict:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return iotest(cfg)
