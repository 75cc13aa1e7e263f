"""Configuration of ``argonet export``: a trained checkpoint written as ONNX or TorchScript."""

from __future__ import annotations

from dataclasses import dataclass

from argonet.conf.validate import check as _check

EXPORT_FORMATS = ("onnx", "torchscript")
#: torch.onnx exporters: dynamo (torch.export, the maintained one) | legacy (TorchScript tracing, faster)
ONNX_EXPORTERS = ("dynamo", "legacy")
#: file suffix of each format
SUFFIXES = {"onnx": ".onnx", "torchscript": ".ts"}


@dataclass
class ExportConfig:
    """``argonet export``: the checkpoint's model with a dynamic batch size, its input spec and class
    names stored in the file, checked against the checkpoint's model on a fresh input before it is kept."""

    checkpoint: str = ""                  # required (checked when the command runs, so that --help works)
    format: str = "onnx"                  # onnx | torchscript
    output: str | None = None             # default: the checkpoint's name with .onnx / .ts, beside it
    exporter: str = "dynamo"              # ONNX only: dynamo | legacy
    opset: int | None = None              # ONNX opset (None: the exporter's default)
    tolerance: float = 1e-4               # largest |exported - eager| output allowed, relative to max(1, |eager|)
    overwrite: bool = False

    def __post_init__(self) -> None:
        _check(self.format in EXPORT_FORMATS, "format", f"unknown format {self.format!r}", EXPORT_FORMATS)
        _check(self.exporter in ONNX_EXPORTERS, "exporter", f"unknown exporter {self.exporter!r}", ONNX_EXPORTERS)
        _check(self.opset is None or 7 <= self.opset <= 30, "opset", f"must be in [7, 30] (got {self.opset})")
        _check(self.tolerance > 0, "tolerance", f"must be > 0 (got {self.tolerance})")

    def require_checkpoint(self) -> str:
        """The checkpoint path; ConfigError when none was given."""
        _check(bool(self.checkpoint), "checkpoint", "name the checkpoint to export: checkpoint=runs/train/best.pt")
        return self.checkpoint
