"""``argonet explain checkpoint=… data.file=… event=N method=…``: what a trained network looks at.

    argonet explain checkpoint=runs/train/best.pt data.file=events.h5 event=12 method=integrated_gradients
    argonet explain checkpoint=runs/segment/best.pt data.file=test.h5 event=3 target.pixel=[2,40,17]
    argonet explain checkpoint=runs/train/best.pt data.file=events.h5 what=channels
    argonet explain checkpoint=runs/train/best.pt data.file=events.h5 what=embedding split=test

Data options left at their defaults take the checkpoint's (planes, crop, normalisation, split).
"""

from __future__ import annotations

from typing import Any

from argonet.conf.explain import ExplainConfig
from argonet.recipes.explain_features import run_explain


def run(cfg: ExplainConfig) -> Any:
    """Run the view ``cfg.what`` and print what was written."""
    result = run_explain(cfg)
    if cfg.what == "attribution":
        truth = "" if result.true is None else f", truth {result.true}"
        print(f"event {result.event}: predicted {result.predicted}{truth}")
        for title, attribution in result.attributions.items():
            print(f"  {title}: attributions sum {attribution.sum():+.4f}, output minus empty-detector output "
                  f"{result.output_difference[title]:+.4f}")
        print(f"wrote {result.path}")
    else:
        print("wrote " + ", ".join(str(p) for p in result.paths))
    return result
