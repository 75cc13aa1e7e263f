"""The model a checkpoint dict describes: its stored builder (name and arguments) rebuilt, its weights loaded.

Reading the file is the training layer's part (``argonet.train.checkpoint.from_checkpoint``, the
one entry point); this module works on the dict only.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from argonet.conf.segment import SEGMENT_MODEL
from argonet.errors import ConfigError
from argonet.models.freezing import check_compatible
from argonet.models.registry import get_model


class CheckpointMismatch(ConfigError):
    """The checkpoint's weights do not fit the network built for this data (classes, input planes, layers)."""


def stored_builder(state: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    """(model name, builder arguments) of a checkpoint; read from its configuration when it predates ``builder``."""
    builder = state.get("builder")
    if builder:
        return builder["name"], dict(builder["kwargs"])
    config = state.get("config") or {}
    model = config.get("model") or {}
    if not model.get("name"):
        raise ConfigError("checkpoint", f"{where} does not say which model it holds (no config.model.name)")
    kwargs = dict(model.get("options") or {})
    if config.get("task") == "segment" and model["name"] == SEGMENT_MODEL:
        kwargs.update(config.get("uresnet") or {})
    if state.get("class_names"):
        kwargs["num_classes"] = len(state["class_names"])
    if (state.get("input_spec") or {}).get("in_chans"):
        kwargs["in_chans"] = state["input_spec"]["in_chans"]
    return model["name"], kwargs


def build_from_state(state: dict[str, Any], where: str, **overrides: Any) -> nn.Module:
    """The checkpoint's model (``overrides`` such as the data's ``num_classes``/``in_chans`` replace stored
    builder arguments) with its weights loaded; CheckpointMismatch (naming what differs) when they do not fit."""
    if "model" not in state:
        raise ConfigError("checkpoint", f"{where} holds no model state")
    name, kwargs = stored_builder(state, where)
    model = get_model(name, **{**kwargs, **{k: v for k, v in overrides.items() if v is not None}})
    try:
        check_compatible(model, state["model"])
    except ConfigError as err:
        raise CheckpointMismatch(err.field, str(err).split(": ", 1)[1]) from None
    model.load_state_dict(state["model"])
    return model
