"""``argonet evaluate``: a classifier checkpoint on a split: accuracy, confusion matrix, efficiency and purity.

    argonet evaluate checkpoint=runs/classify/best.pt split=test
"""

from __future__ import annotations

from typing import Any

from argonet.conf.classify import EvaluateConfig
from argonet.recipes.evaluate import evaluate


def run(cfg: EvaluateConfig) -> dict[str, Any]:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return evaluate(cfg)
