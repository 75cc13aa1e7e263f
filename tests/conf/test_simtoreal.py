"""Configuration of ``argonet simtoreal``: what it refuses before any work, and its defaults."""

from __future__ import annotations

import pytest

from argonet.conf.compose import compose
from argonet.conf.simtoreal import SimToRealConfig
from argonet.errors import ConfigError


def test_defaults_follow_the_study():
    cfg = SimToRealConfig()
    assert (cfg.per_class, cfg.val_per_class, cfg.model.name) == (100, 0, "resnet18")
    assert cfg.data.normalise == "scale" and cfg.data.scale == pytest.approx(1 / 255)
    assert cfg.finetune.optim.lr < cfg.pretrain.optim.lr                     # fine-tuning moves less
    with pytest.raises(ConfigError, match=r"^sim: name the simulated larcv3 file"):
        cfg.require_inputs()


def test_refusals_name_the_field():
    cases = {"val_per_class: must be in \\[0, per_class=2\\)": ["per_class=2", "val_per_class=2"],
             "finetune.early_stopping_patience: needs validation events": ["finetune.early_stopping_patience=2"],
             "data.file: the samples are named by sim=... and real=...": ["data.file=x.h5"],
             "data.format: the simulated sample is larcv3": ["data.format=cvn"],
             "data.class_names: the study uses the four CVN classes": ["data.class_names=[NC,NUE_CC]"],
             "model.checkpoint: the study trains its own models": ["model.checkpoint=x.pt"],
             "per_class: must be >= 1": ["per_class=0"],
             "data.batch_size: is not an option of argonet simtoreal: set run.batch_size": ["data.batch_size=4"]}
    for message, overrides in cases.items():
        with pytest.raises(ConfigError, match=f"^{message}"):
            compose("simtoreal", SimToRealConfig, overrides)
    cfg = compose("simtoreal", SimToRealConfig, ["val_per_class=10", "finetune.early_stopping_patience=2"])
    assert cfg.finetune.early_stopping_patience == 2
