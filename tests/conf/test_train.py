"""Training configuration: defaults are valid, bad values name their field."""

from __future__ import annotations

import pytest

from argonet.conf.classify import TrainCommandConfig
from argonet.conf.train import ModelConfig, OptimConfig, RunConfig
from argonet.errors import ConfigError


def test_defaults_are_valid():
    cfg = TrainCommandConfig()
    assert cfg.model.num_classes is None and cfg.model.in_chans is None    # taken from the dataset
    assert cfg.run.amp == "auto" and cfg.optim.name == "sgd"


@pytest.mark.parametrize("group, kwargs, field", [
    (ModelConfig, {"num_classes": 0}, "model.num_classes"),
    (ModelConfig, {"in_chans": 0}, "model.in_chans"),
    (ModelConfig, {"freeze": ["layer[1"]}, "model.freeze"),
    (ModelConfig, {"weights": "a.pth", "checkpoint": "b.pt"}, "model.weights"),
    (OptimConfig, {"name": "lamb"}, "optim.name"),
    (OptimConfig, {"lr": 0.0}, "optim.lr"),
    (OptimConfig, {"layer_lr_decay": 1.5}, "optim.layer_lr_decay"),
    (OptimConfig, {"schedule": "linear"}, "optim.schedule"),
    (OptimConfig, {"clip_grad_norm": -1.0}, "optim.clip_grad_norm"),
    (RunConfig, {"amp": "fp8"}, "run.amp"),
    (RunConfig, {"accumulate": 0}, "run.accumulate"),
    (RunConfig, {"device": "tpu"}, "run.device"),
    (RunConfig, {"max_steps": 0}, "run.max_steps"),
    (RunConfig, {"early_stopping_patience": -1}, "run.early_stopping_patience"),
])
def test_bad_values_name_the_field(group, kwargs, field):
    with pytest.raises(ConfigError) as err:
        group(**kwargs)
    assert err.value.field == field and str(err.value).startswith(field + ":")


def test_closed_choices_are_listed():
    with pytest.raises(ConfigError, match=r"valid: auto, bf16, fp16, off"):
        RunConfig(amp="fp32")
