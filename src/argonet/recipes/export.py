"""A trained checkpoint out to production: ONNX (for ONNX Runtime, Triton, LArSoft) or TorchScript.

The model is rebuilt from its checkpoint by ``argonet.train.checkpoint.from_checkpoint`` (in
``model_from_checkpoint``), exported with a dynamic batch size, and stored with its input spec and class names as
metadata (see ``argonet.recipes.exported``), so a consumer needs nothing else. Before the file is
kept, the exported model is run on a fresh input with another batch size and compared with the
eager model; the file appears only when complete and checked. A model the exporter cannot
express raises one ConfigError line naming the model and the exporter's reason.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import sys
import tempfile
import time
from typing import Any
import warnings

import torch
from torch import Tensor, nn

from argonet import __version__
from argonet.conf.export import SUFFIXES, ExportConfig
from argonet.errors import ConfigError
from argonet.io import AtomicPath
from argonet.io.atomic import scratch_folder
from argonet.models.checkpoint import stored_builder
from argonet.recipes.exported import EXPORT_FORMAT, encode_metadata, first_line, load_exported
from argonet.train.checkpoint import from_checkpoint

EXPORT_BATCH = 2       # batch size of the traced example input
CHECK_BATCH = 3        # a different batch size for the check, so a batch size fixed by mistake shows


@dataclass
class TrainedModel:
    """A model rebuilt from a checkpoint, in eval mode, with what it was trained for."""

    model: nn.Module
    name: str
    task: str
    class_names: list[str]
    input_spec: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def model_from_checkpoint(path: str | os.PathLike, field_name: str = "checkpoint") -> TrainedModel:
    """The checkpoint's model (``argonet.train.checkpoint.from_checkpoint``) in eval mode, with its task,
    class names, input spec, data options and builder arguments."""
    model, state = from_checkpoint(path, field=field_name)
    name, kwargs = stored_builder(state, str(path))
    config, spec, classes = state.get("config") or {}, state.get("input_spec") or {}, state.get("class_names")
    if not classes or "in_chans" not in spec:
        raise ConfigError(field_name, f"{path} is not an argonet training checkpoint with class names and an "
                          "input spec")
    options = {k: v for k, v in kwargs.items() if k not in ("num_classes", "in_chans")}
    return TrainedModel(model.eval(), name, config.get("task", "classify"), list(classes), dict(spec),
                        dict(config.get("data") or {}), options)


def example_input(spec: dict[str, Any], batch: int, seed: int = 0) -> Tensor:
    """Random non-negative float32 input of the stored shape: (batch, in_chans, *image_shape), or
    (batch, features) for feature models."""
    shape = list(spec.get("image_shape") or [])
    dims = shape if len(shape) == 1 else [spec["in_chans"], *shape]
    return torch.rand(batch, *dims, generator=torch.Generator().manual_seed(seed))


def describe_input(trained: TrainedModel) -> str:
    """The input tensor in words: shape and the preprocessing that makes it."""
    spec = trained.input_spec
    shape = list(spec.get("image_shape") or [])
    if len(shape) == 1:
        return f"float32 (batch, {shape[0]}): jet features {trained.data.get('features')} (raw values)"
    crop = f", crop {spec.get('crop')} ({spec.get('crop_mode')})" if spec.get("crop") else ""
    return (f"float32 (batch, {spec['in_chans']}, {shape[0]}, {shape[1]}): one channel per plane {spec.get('planes')} "
            f"of sparse2d '{spec.get('charge')}', pixels summed {spec.get('downsample')} (wire, tick){crop}, "
            f"normalise={spec.get('normalise')} (scale {spec.get('scale')}, clip {spec.get('clip')})")


def describe_output(trained: TrainedModel) -> str:
    """The output tensor in words."""
    if trained.task == "segment":
        return (f"float32 (batch, planes, {len(trained.class_names)}, H, W): logits per pixel of classes "
                f"{trained.class_names} (argmax over axis 2); stored label values "
                f"{trained.input_spec.get('label_values')}")
    return (f"float32 (batch, {len(trained.class_names)}): logits of classes {trained.class_names} "
            "(softmax: probabilities)")


def export_metadata(trained: TrainedModel) -> dict[str, str]:
    """The metadata strings stored in the exported file (keys in ``argonet.recipes.exported``)."""
    return encode_metadata({
        "argonet.format": EXPORT_FORMAT, "argonet.version": __version__, "argonet.model": trained.name,
        "argonet.task": trained.task, "argonet.input": describe_input(trained),
        "argonet.output": describe_output(trained), "argonet.class_names": trained.class_names,
        "argonet.input_spec": trained.input_spec, "argonet.data": trained.data,
        "argonet.model_options": trained.options})


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the exporters: their warnings, and what they print at file-descriptor level (graph dumps)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def write_onnx(model: nn.Module, x: Tensor, path: Path, metadata: dict[str, str], exporter: str = "dynamo",
               opset: int | None = None) -> None:
    """ONNX file of ``model`` traced on ``x`` (input ``input``, output ``output``, batch axis dynamic)."""
    import onnx

    common = {"input_names": ["input"], "output_names": ["output"], "opset_version": opset}
    if exporter == "dynamo":
        torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False, verbose=False,
                          dynamic_shapes=({0: torch.export.Dim("batch")},), **common)
    else:
        torch.onnx.export(model, (x,), str(path), dynamo=False,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **common)
    stored = onnx.load(str(path))
    del stored.metadata_props[:]
    for key, value in metadata.items():
        entry = stored.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(stored, str(path))


def write_torchscript(model: nn.Module, x: Tensor, path: Path, metadata: dict[str, str]) -> None:
    """TorchScript archive of ``model`` traced on ``x``, metadata as ``_extra_files``."""
    traced = torch.jit.trace(model, (x,), check_trace=False)
    torch.jit.save(traced, str(path), _extra_files=metadata)


def largest_difference(model: nn.Module, exported: nn.Module, x: Tensor) -> float:
    """max |exported(x) - model(x)| / max(1, max |model(x)|)."""
    with torch.inference_mode():
        reference, got = model(x), exported(x)
    if got.shape != reference.shape:
        return float("inf")
    return float((got - reference).abs().max()) / max(1.0, float(reference.abs().max()))


@dataclass
class ExportResult:
    """Where the exported file went and how closely it reproduces the checkpoint's model."""

    path: Path
    format: str
    model: str
    relative_difference: float
    seconds: float
    metadata: dict[str, str]


def default_output(checkpoint: str | os.PathLike, fmt: str) -> Path:
    """The checkpoint's path with the format's suffix."""
    return Path(checkpoint).with_suffix(SUFFIXES[fmt])


def export_model(trained: TrainedModel, fmt: str, output: str | os.PathLike, *, exporter: str = "dynamo",
                 opset: int | None = None, tolerance: float = 1e-4, overwrite: bool = False) -> ExportResult:
    """Write ``trained`` as ``fmt`` to ``output``, checked against the eager model; atomic."""
    start = time.perf_counter()
    metadata = export_metadata(trained)
    what = "ONNX" if fmt == "onnx" else "TorchScript"
    with AtomicPath(output, overwrite) as out:
        with scratch_folder(out.path) as tmp:
            path = Path(tmp) / f"model{SUFFIXES[fmt]}"
            try:
                with quiet():
                    if fmt == "onnx":
                        write_onnx(trained.model, example_input(trained.input_spec, EXPORT_BATCH), path, metadata,
                                   exporter, opset)
                    else:
                        write_torchscript(trained.model, example_input(trained.input_spec, EXPORT_BATCH), path,
                                          metadata)
                    exported, _ = load_exported(path)
                    difference = largest_difference(trained.model, exported, example_input(trained.input_spec,
                                                                                           CHECK_BATCH, seed=1))
            except Exception as err:  # exporters raise many types; the reason is in the innermost one
                raise ConfigError("format", f"model {trained.name} cannot be exported to {what}: "
                                  f"{first_line(err)}") from None
            if not difference <= tolerance:
                raise ConfigError("format", f"model {trained.name} exported to {what} does not reproduce the "
                                  f"model (relative difference {difference:.3g} > tolerance {tolerance:g}); "
                                  "its forward pass may depend on the input in a way tracing cannot keep")
            os.replace(path, out.tmp)
    return ExportResult(out.path, fmt, trained.name, difference, time.perf_counter() - start, metadata)


def run_export(cfg: ExportConfig) -> ExportResult:
    """``argonet export``: rebuild the checkpoint's model and write it as ``cfg.format``."""
    trained = model_from_checkpoint(cfg.require_checkpoint())
    output = Path(cfg.output) if cfg.output else default_output(cfg.checkpoint, cfg.format)
    if output.resolve() == Path(cfg.checkpoint).resolve():
        raise ConfigError("output", f"must differ from the checkpoint {cfg.checkpoint}")
    return export_model(trained, cfg.format, output, exporter=cfg.exporter, opset=cfg.opset,
                        tolerance=cfg.tolerance, overwrite=cfg.overwrite)
