"""``argonet export checkpoint=… format=onnx|torchscript output=…``: a trained model for ONNX Runtime or TorchScript.

    argonet export checkpoint=runs/train/best.pt format=onnx output=cvn.onnx

The file holds the model with a dynamic batch size, and as metadata its input spec (planes,
down-sampling, normalisation), class names and the training run's data options, so a consumer
needs nothing else; ``argonet evaluate`` and ``argonet inference`` accept it as the checkpoint.
"""

from __future__ import annotations

from argonet.conf.export import ExportConfig
from argonet.recipes.export import ExportResult, run_export


def run(cfg: ExportConfig) -> ExportResult:
    """Export the checkpoint and print where it went and how closely it matches the checkpoint's model."""
    result = run_export(cfg)
    print(f"wrote {result.path}: {result.model} as {result.format} in {result.seconds:.1f} s; largest output "
          f"difference to the checkpoint's model {result.relative_difference:.2g} (relative)")
    print(f"input:  {result.metadata['argonet.input']}")
    print(f"output: {result.metadata['argonet.output']}")
    return result
