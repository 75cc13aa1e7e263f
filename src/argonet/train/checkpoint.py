"""Training checkpoints: written atomically, read back with clear errors, and the random-number states.

A checkpoint is one ``torch.save`` dict (readable with ``weights_only=True``)::

    format       "argonet-checkpoint/1"
    model        state dict of the unwrapped model (no DDP "module." prefix)
    optimizer, scheduler, scaler    their state dicts (scaler: None without fp16)
    epoch        the epoch in progress; epoch_batches: its batches already trained (0 at an epoch end)
    step         optimiser steps so far
    rng          per rank: torch, cuda (per device), numpy and python generator states, now
    epoch_rng    the same at the start of the epoch, with the loader's generator (to replay its order)
    progress     best validation loss, epochs without improvement, running epoch loss, history
    config, class_names, input_spec    what the model was trained for (read by inference)
    builder      model name and builder arguments: ``from_checkpoint`` builds the same network again
    logit_offsets   (released weights) one per class, added to the logits before the argmax by inference

Released weights ship with argonet (``RELEASED``): wherever a checkpoint path is read, a released name
such as ``sbnd-cosmic`` means the packaged file, before any file of that name (write ``./sbnd-cosmic``
for a local file so named). They hold the model, its configuration and the logit offsets only, the
floating-point weights stored as float16.
"""

from __future__ import annotations

from collections.abc import Sequence
import hashlib
from importlib import resources
import os
from pathlib import Path
import random
from typing import Any

import numpy as np
import torch
from torch import nn

from argonet.errors import ConfigError
from argonet.io.atomic import AtomicPath
from argonet.models.checkpoint import build_from_state
from argonet.models.freezing import check_compatible, load_state

FORMAT = "argonet-checkpoint/1"
LAST = "checkpoint.pt"
BEST = "best.pt"
#: released weights: name -> file in RELEASED_DIR (docs/studies/cosmic_tagging.md made sbnd-cosmic)
RELEASED = {"sbnd-cosmic": "sbnd-cosmic.pt"}
RELEASED_DIR = resources.files("argonet.train") / "released"
#: what released weights keep of a training checkpoint
RELEASED_KEYS = ("format", "model", "config", "class_names", "input_spec", "builder", "epoch", "step")


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicPath(path, overwrite=True) as out, open(out.tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    return path


def released_path(name: str | os.PathLike) -> Path | None:
    """The packaged file of released weights ``name`` (``RELEASED``), None when ``name`` is not one."""
    file = RELEASED.get(str(name))
    return None if file is None else Path(str(RELEASED_DIR / file))


def read_checkpoint(path: str | os.PathLike, field: str = "run.resume") -> dict[str, Any]:
    """A checkpoint dict from ``path`` or a released name; a missing or unreadable file is one ConfigError
    line naming ``field``."""
    packaged = released_path(path)
    what = f"the released weights {str(path)!r} at" if packaged else "checkpoint"
    hint = " (a damaged argonet installation: reinstall it)" if packaged else ""
    path = packaged or Path(path)
    if not path.is_file():
        raise ConfigError(field, f"{what[0].upper()}{what[1:]} {path} is missing{hint}" if packaged
                          else f"no checkpoint at {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many types for a damaged file
        line = (str(err).strip().splitlines() or [""])[0]
        raise ConfigError(field, f"cannot read {what} {path} ({type(err).__name__}: {line}){hint}") from None
    if not isinstance(obj, dict) or (packaged and not isinstance(obj.get("model"), dict)):
        raise ConfigError(field, f"{path} does not hold a checkpoint dict{hint}")
    return obj


def released_state(state: dict[str, Any], logit_offsets: Sequence[float] | None = None) -> dict[str, Any]:
    """What released weights keep of a training checkpoint: the model (floating-point tensors as float16),
    its configuration and ``logit_offsets`` (applied by inference unless it is given others)."""
    out = {k: state[k] for k in RELEASED_KEYS if k in state}
    out["model"] = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()}
    out["logit_offsets"] = None if logit_offsets is None else [float(v) for v in logit_offsets]
    return out


def from_checkpoint(source: str | os.PathLike | dict[str, Any], field: str = "checkpoint",
                    **overrides: Any) -> tuple[nn.Module, dict[str, Any]]:
    """(model, checkpoint dict): the network a checkpoint file (or its dict) stores, rebuilt from its model name
    and builder arguments (``overrides``, e.g. the data's widths, replace them) with its weights loaded."""
    state = source if isinstance(source, dict) else read_checkpoint(source, field=field)
    where = "the checkpoint" if isinstance(source, dict) else str(source)
    return build_from_state(state, where, **overrides), state


def rng_state() -> dict[str, Any]:
    """Every random generator of this process (torch CPU and devices, numpy, python)."""
    name, key, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        "numpy": (name, torch.from_numpy(key.astype(np.int64)), int(pos), int(has_gauss), float(gauss)),
        "python": random.getstate(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    name, key, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, key.numpy().astype(np.uint32), pos, has_gauss, gauss))
    random.setstate(state["python"])


def load_model_weights(model: nn.Module, path: str | os.PathLike, *, replace_head: bool = False,
                       include: Sequence[str] = (), exclude: Sequence[str] = ()) -> str:
    """Start ``model`` from an argonet checkpoint (``model.checkpoint``); returns a one-line report.

    The checkpoint must fit: a different class count needs ``replace_head`` (its head is then not
    loaded), a different number of input channels is an error.
    """
    ckpt = read_checkpoint(path, field="model.checkpoint")
    state = ckpt.get("model", ckpt)
    if not isinstance(state, dict):
        raise ConfigError("model.checkpoint", f"{path} holds no model state dict")
    skip = check_compatible(model, state, replace_head=replace_head, source=str(path))
    report = load_state(model, state, include=include, exclude=exclude, skip=skip)
    return f"loaded {path}: {report}" + ("; new head (replace_head)" if skip else "")


def state_digest(state: dict[str, torch.Tensor], skip_prefixes: Sequence[str] = ()) -> str:
    """SHA-256 of a state dict's names, shapes, dtypes and bytes (identifies a backbone for caches)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        if name.startswith(tuple(skip_prefixes)):
            continue
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def files_key(paths: Sequence[str | os.PathLike], extra: str = "") -> str:
    """A data key from files' paths, sizes and modification times, plus e.g. the data configuration."""
    parts = [extra]
    for p in sorted(map(str, paths)):
        st = os.stat(p)
        parts.append(f"{os.path.abspath(p)}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)
