"""Exported models read back: the metadata an export stores, and an ONNX Runtime session as a torch module.

An exported file carries everything a consumer needs besides the runtime (keys of ONNX
``metadata_props``, or TorchScript ``_extra_files`` of the same names; JSON where structured):

    argonet.format       "argonet-export/1"
    argonet.version      argonet version that wrote it
    argonet.model        registered model name; argonet.model_options: its builder arguments (JSON)
    argonet.task         classify | segment
    argonet.class_names  JSON list, in output order
    argonet.input_spec   JSON: in_chans, image_shape, planes, charge producer, downsample, crop,
                         normalise, scale, clip (and labels, label_values for segmentation)
    argonet.data         JSON: the training run's data configuration (split, seed, features, ...)
    argonet.input        the input tensor in words; argonet.output: the output tensor in words
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
import warnings
import zipfile

import numpy as np
import torch
from torch import Tensor, nn

from argonet.errors import ConfigError, DataError
from argonet.train.checkpoint import read_checkpoint, released_path

EXPORT_FORMAT = "argonet-export/1"
#: metadata keys whose values are JSON
JSON_KEYS = ("argonet.class_names", "argonet.input_spec", "argonet.data", "argonet.model_options")
KEYS = ("argonet.format", "argonet.version", "argonet.model", "argonet.task", "argonet.input", "argonet.output",
        *JSON_KEYS)


def encode_metadata(values: dict[str, Any]) -> dict[str, str]:
    """String values for the file: the JSON keys encoded, the others as given."""
    return {k: json.dumps(v) if k in JSON_KEYS else str(v) for k, v in values.items()}


def decode_metadata(stored: dict[str, str], path: str | os.PathLike) -> dict[str, Any]:
    """The stored strings with the JSON keys decoded; FormatError-like ConfigError when it is not argonet's."""
    if stored.get("argonet.format") != EXPORT_FORMAT:
        raise ConfigError("checkpoint", f"{path} is not a model exported by argonet (no {EXPORT_FORMAT} metadata)")
    return {k: json.loads(v) if k in JSON_KEYS else v for k, v in stored.items() if k.startswith("argonet.")}


def is_onnx(path: str | os.PathLike) -> bool:
    """An ``.onnx`` file name."""
    return Path(path).suffix.lower() == ".onnx"


def is_torchscript(path: str | os.PathLike) -> bool:
    """A TorchScript archive written by argonet export (a zip holding ``extra/argonet.format``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("extra/argonet.format") for name in archive.namelist())


def is_exported(path: str | os.PathLike) -> bool:
    """An exported model file (ONNX or argonet's TorchScript) rather than a training checkpoint."""
    return Path(path).is_file() and (is_onnx(path) or is_torchscript(path))


class OnnxModel(nn.Module):
    """An ONNX Runtime session called like the torch model it was exported from (CPU execution).

    ``forward`` takes and returns torch tensors (the output on the input's device); ``metadata``
    holds the decoded argonet metadata. ``threads`` defaults to torch's intra-op thread count.
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        super().__init__()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own types for unreadable files
            raise ConfigError("checkpoint", f"cannot read ONNX model {path} ({first_line(err)})") from None
        self.path = Path(path)
        self.input = self.session.get_inputs()[0]
        self.metadata = decode_metadata(self.session.get_modelmeta().custom_metadata_map, path)

    def forward(self, x: Tensor) -> Tensor:
        """The first output of the session for input ``x`` (float32)."""
        expected = self.input.shape
        if len(expected) != x.ndim or any(isinstance(e, int) and e != n for e, n in zip(expected[1:], x.shape[1:])):
            raise DataError(f"{self.path} takes inputs of shape {expected}, got {tuple(x.shape)}; use the data "
                            "options stored in the model (argonet.input_spec)")
        array = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(self.session.run(None, {self.input.name: array})[0]).to(x.device)


def first_line(err: BaseException, limit: int = 240) -> str:
    """``Type: first line`` of the innermost cause of ``err`` (exporters wrap the real reason), shortened."""
    while err.__cause__ is not None:
        err = err.__cause__
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = f"{type(err).__name__}: {lines[0] if lines else ''}".replace("\x1b", "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The decoded argonet metadata of an exported ONNX or TorchScript file."""
    if is_onnx(path):
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        return decode_metadata({p.key: p.value for p in model.metadata_props}, path)
    return load_exported(path)[1]


def load_exported(path: str | os.PathLike, threads: int | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """(runnable model in eval mode, metadata) of an exported file: an OnnxModel or the TorchScript module."""
    if is_onnx(path):
        model = OnnxModel(path, threads)
        return model.eval(), model.metadata
    extra = dict.fromkeys(KEYS, "")
    with warnings.catch_warnings():          # torch.jit.load announces its deprecation on every call
        warnings.simplefilter("ignore", FutureWarning)
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return module.eval(), decode_metadata({k: v.decode() if isinstance(v, bytes) else v for k, v in extra.items()},
                                          path)


def exported_state(path: str | os.PathLike) -> dict[str, Any]:
    """What commands read from a checkpoint, for an exported file: ``config`` (task, model, data),
    ``class_names``, ``input_spec``, and ``runner``, the runnable model in place of the weights."""
    runner, meta = load_exported(path)
    config = {"task": meta["argonet.task"], "data": meta["argonet.data"],
              "model": {"name": meta["argonet.model"], "options": meta["argonet.model_options"]}}
    return {"config": config, "class_names": meta["argonet.class_names"], "input_spec": meta["argonet.input_spec"],
            "runner": runner, "exported": meta}


def read_model_file(path: str | os.PathLike, field: str = "checkpoint") -> dict[str, Any]:
    """A training checkpoint dict (a released name first), or for an exported ONNX / TorchScript file
    ``exported_state``."""
    if released_path(path) is None and is_exported(path):
        return exported_state(path)
    return read_checkpoint(path, field=field)


def exported_runner(state: dict[str, Any], path: str | os.PathLike, task: str,
                    class_names: list[str] | None = None) -> nn.Module:
    """The runnable model of ``exported_state``, refused when it was trained for another task or classes."""
    trained_task = state["config"]["task"]
    if trained_task != task:
        raise ConfigError("checkpoint", f"{path} holds a model for task={trained_task}, this command needs task={task}")
    if class_names is not None and list(class_names) != state["class_names"]:
        raise ConfigError("data.class_names", f"{path} was trained on classes {state['class_names']}, the data has "
                          f"{list(class_names)}")
    return state["runner"]
