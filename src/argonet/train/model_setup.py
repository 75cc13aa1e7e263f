"""Build the model a ``ModelConfig`` describes: widths from the dataset, weights, checkpoint, freezing.

The order follows weaver's ``model_setup``: build (with pretrained backbone weights if asked),
load an argonet checkpoint by include/exclude patterns, then freeze by pattern; every step adds a
line to the report that the run prints.
"""

from __future__ import annotations

from torch import nn

from argonet.conf.train import ModelConfig
from argonet.errors import ConfigError
from argonet.models.freezing import freeze
from argonet.models.registry import get_model
from argonet.train.checkpoint import load_model_weights
from argonet.train.runtime import seed_everything


def _width(configured: int | None, from_data: int | None, field: str, what: str) -> int | None:
    """The dataset's value unless the config sets one; both set and different is an error."""
    if configured is not None and from_data is not None and configured != from_data:
        raise ConfigError(field, f"is {configured} but the dataset has {from_data} {what}; leave it unset "
                          "to take the dataset's value")
    return configured if configured is not None else from_data


def build_model(cfg: ModelConfig, *, num_classes: int | None = None, in_chans: int | None = None,
                options: dict | None = None, seed: int | None = None) -> tuple[nn.Module, list[str]]:
    """The configured model and a report; ``num_classes``/``in_chans`` come from the dataset's metadata,
    ``options`` are builder arguments a task sets itself (the UResNet's shape), beside ``cfg.options``;
    ``seed`` seeds every generator first, so that the initial weights follow it."""
    classes = _width(cfg.num_classes, num_classes, "model.num_classes", "classes")
    chans = _width(cfg.in_chans, in_chans, "model.in_chans", "input planes")
    if classes is None:
        raise ConfigError("model.num_classes", "unknown: set it, or build the model from a dataset with class names")
    for key in set(cfg.options) & set(options or {}):
        raise ConfigError(f"model.options.{key}", f"is set by the task's own section for {cfg.name}; set it there")
    if seed is not None:
        seed_everything(seed)
    try:
        model = get_model(cfg.name, num_classes=classes, in_chans=chans, weights=cfg.weights,
                          **{**cfg.options, **(options or {})})
    except ConfigError as err:           # name an unknown builder argument where the user wrote it
        key = err.field.removeprefix("model.")
        if key not in cfg.options:
            raise
        raise ConfigError(f"model.options.{key}", str(err).split(": ", 1)[1]) from None
    report = [getattr(model, "load_report", f"{cfg.name}: built")]
    if cfg.checkpoint is not None:
        report.append(load_model_weights(model, cfg.checkpoint, replace_head=cfg.replace_head,
                                         include=cfg.load_include, exclude=cfg.load_exclude))
    elif cfg.replace_head:
        raise ConfigError("model.replace_head", "only applies when starting from model.checkpoint")
    if cfg.freeze:
        frozen = freeze(model, cfg.freeze, cfg.unfreeze)
        params = dict(model.named_parameters())
        n_frozen = sum(params[name].numel() for name in frozen)
        n_total = sum(p.numel() for p in params.values())
        report.append(f"froze {len(frozen)} tensors ({n_frozen / 1e6:.2f} of {n_total / 1e6:.2f} M parameters)")
    return model, report
