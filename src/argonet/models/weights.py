"""Pretrained weights: read a torchvision state dict (file or weight name) and fit it to a model.

This is the one place under ``models/`` that reads files. A weight name such as ``IMAGENET1K_V1``
is looked up in torchvision and fetched through the torch hub cache (``$TORCH_HOME/hub/checkpoints``),
so a machine without internet loads it once the file has been copied there, or from any path
given as ``model.weights=/path/to/file``.
"""

from __future__ import annotations

from pathlib import Path
import re
import socket

import torch
from torch import Tensor, nn

from argonet.errors import ConfigError

DOWNLOAD_TIMEOUT_S = 30.0
_WEIGHT_NAME = re.compile(r"^(\w+_Weights\.)?[A-Z][A-Z0-9_]*$")


def adapt_input_conv(weight: Tensor, in_chans: int) -> Tensor:
    """First-convolution filters for ``in_chans`` inputs that keep each filter's sum over inputs.

    Pretrained filters of shape (out, 3, k, k) see RGB; a detector image has one channel per wire
    plane. For fewer channels every new channel gets the RGB sum divided by ``in_chans`` (one channel:
    the sum); for more, the RGB filters repeat cyclically and each copy is divided by its number of
    copies. Either way ``new.sum(dim=1) == weight.sum(dim=1)``: a uniform image gives the same
    first-layer response as before, so the pretrained activation statistics still hold.
    """
    if weight.ndim != 4:
        raise ValueError(f"expected a convolution weight (out, in, kh, kw), got shape {tuple(weight.shape)}")
    old = weight.shape[1]
    if in_chans == old:
        return weight.clone()
    if in_chans < old:
        return weight.sum(dim=1, keepdim=True).repeat(1, in_chans, 1, 1) / in_chans
    source = torch.arange(in_chans) % old
    copies = torch.bincount(source, minlength=old).to(weight.dtype)
    return weight[:, source] / copies[source].view(1, -1, 1, 1)


def _first_line(err: BaseException) -> str:
    """A library error as one short line."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".strip()


def _as_state_dict(obj: object, source: str) -> dict[str, Tensor]:
    """The tensor dict inside what torch.load returned, or a ConfigError saying what it is instead."""
    if isinstance(obj, dict) and str(obj.get("format", "")).startswith("argonet-checkpoint"):
        raise ConfigError("model.weights", f"{source} is an argonet checkpoint; pass it as model.checkpoint={source}")
    for key in ("state_dict", "model"):   # training checkpoints of other tools
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ConfigError("model.weights", f"{source} does not hold a state dict (parameter name -> tensor)")
    return obj


def _torchvision_weights(arch: str, name: str):
    """The torchvision weight entry ``name`` of ``arch`` (e.g. ResNet18_Weights.IMAGENET1K_V1)."""
    from torchvision.models import get_model_weights

    try:
        enum = get_model_weights(arch)
    except ValueError:
        raise ConfigError("model.weights", f"{arch} has no published torchvision weights; "
                          "pass a state-dict file as model.weights=/path/to/file") from None
    short = name.split(".")[-1]
    if short == "DEFAULT":
        return enum.DEFAULT
    if short not in enum.__members__:
        raise ConfigError("model.weights", f"unknown weights {name!r} for {arch}", choices=list(enum.__members__))
    return enum[short]


def _download_hint(url: str) -> str:
    """How to get a weight file onto a machine without internet."""
    return f"download {url.rsplit('/', 1)[-1]} ({url}) on a machine with internet and pass model.weights=/path/to/file"


def read_weights(arch: str, weights: str) -> tuple[dict[str, Tensor], str]:
    """The state dict named by ``weights`` (a file path or a torchvision weight name) and where it came from."""
    path = Path(weights).expanduser()
    if path.is_file():
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch.load raises many types for a bad file
            raise ConfigError("model.weights", f"cannot read {path} as a PyTorch file ({_first_line(err)})") from None
        return _as_state_dict(obj, str(path)), str(path)
    if not _WEIGHT_NAME.match(weights):
        hint = ""
        try:
            hint = "; " + _download_hint(_torchvision_weights(arch, "DEFAULT").url)
        except ConfigError:
            pass
        raise ConfigError("model.weights", f"file {path} not found{hint}")
    entry = _torchvision_weights(arch, weights)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        state = torch.hub.load_state_dict_from_url(entry.url, progress=False, check_hash=True,
                                                   map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as err:
        raise ConfigError("model.weights", f"cannot fetch {arch} {weights} ({_first_line(err)}); "
                          + _download_hint(entry.url)) from None
    finally:
        socket.setdefaulttimeout(previous)
    return _as_state_dict(state, entry.url), f"torchvision {type(entry).__name__}.{entry.name}"


def _shape(t: Tensor) -> str:
    """'64x3x7x7'."""
    return "x".join(map(str, t.shape))


def load_pretrained(model: nn.Module, arch: str, weights: str) -> str:
    """Load pretrained weights into a classifier for transfer learning; returns a one-line report.

    The first convolution is adapted to the model's ``in_chans`` (``adapt_input_conv``) and the head
    is left freshly initialised when the class count differs; any other mismatch is an error, since
    it means the file holds a different network.
    """
    state, source = read_weights(arch, weights)
    state = dict(state)
    own = model.state_dict()
    notes = []
    conv_key = f"{model.first_conv}.weight"
    if conv_key in state and conv_key in own and state[conv_key].shape[1] != own[conv_key].shape[1]:
        notes.append(f"first convolution adapted from {state[conv_key].shape[1]} to {model.in_chans} channels")
        state[conv_key] = adapt_input_conv(state[conv_key], own[conv_key].shape[1])
    head = f"{model.classifier_name}."
    head_keys = [k for k in own if k.startswith(head)]
    if not head_keys or any(k not in state or state[k].shape != own[k].shape for k in head_keys):
        notes.append(f"new {model.num_classes}-class head")
        state = {k: v for k, v in state.items() if not k.startswith(head)}
    ignored = tuple(getattr(model, "ignored_weights", ()))
    unexpected = [k for k in state if k not in own and not k.startswith(ignored)]
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked") and not k.startswith(head)]
    wrong = [k for k in state if k in own and state[k].shape != own[k].shape]
    if wrong:
        k = wrong[0]
        raise ConfigError("model.weights", f"{source} does not fit {arch}: {k} is {_shape(state[k])} in the file, "
                          f"{_shape(own[k])} in the model ({len(wrong)} such keys)")
    if missing or unexpected:
        raise ConfigError("model.weights", f"{source} does not hold {arch} weights: {len(missing)} keys missing "
                          f"(e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. {unexpected[:2]})")
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return f"{arch}: loaded pretrained weights from {source}" + "".join(f"; {n}" for n in notes)
