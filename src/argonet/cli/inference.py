"""``argonet inference task=segment checkpoint=… data.file=…``: predicted pixel labels written back as larcv3.

    argonet inference task=segment checkpoint=runs/segment/best.pt data.file=test.h5
"""

from __future__ import annotations

from typing import Any

from argonet.conf.segment import InferenceConfig
from argonet.recipes.inference import inference


def run(cfg: InferenceConfig) -> dict[str, Any]:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return inference(cfg)
