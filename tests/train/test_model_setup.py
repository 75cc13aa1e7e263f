"""A ModelConfig becomes a model: widths from the dataset, checkpoint by pattern, freezing."""

from __future__ import annotations

import pytest
import torch

from argonet.conf.train import ModelConfig
from argonet.errors import ConfigError
from argonet.models.registry import get_model
from argonet.train.checkpoint import FORMAT, atomic_save
from argonet.train.model_setup import build_model


def test_widths_come_from_the_dataset():
    model, report = build_model(ModelConfig(name="smallcnn"), num_classes=3, in_chans=2)
    assert (model.num_classes, model.in_chans) == (3, 2) and "from scratch" in report[0]
    with pytest.raises(ConfigError, match="model.num_classes: is 4 but the dataset has 3 classes"):
        build_model(ModelConfig(name="smallcnn", num_classes=4), num_classes=3)
    with pytest.raises(ConfigError, match="model.num_classes: unknown"):
        build_model(ModelConfig(name="smallcnn"))


def test_fine_tune_from_checkpoint_with_new_head_and_frozen_backbone(tmp_path):
    source = get_model("smallcnn", num_classes=2, in_chans=3)
    atomic_save({"format": FORMAT, "model": source.state_dict()}, tmp_path / "old.pt")
    cfg = ModelConfig(name="smallcnn", checkpoint=str(tmp_path / "old.pt"), replace_head=True,
                      load_exclude=[r"stage2\.1\."], freeze=[r"stem\.", r"stage1\."])
    model, report = build_model(cfg, num_classes=4, in_chans=3)
    assert model.fc.out_features == 4
    assert torch.equal(model.stage2[0][0].weight, source.stage2[0][0].weight)
    assert not torch.equal(model.stage2[1][0].weight, source.stage2[1][0].weight)
    assert not model.stem[0].weight.requires_grad and model.stage2[0][0].weight.requires_grad
    # stem: convolution weight, batch-norm weight and bias; stage1: two such blocks
    assert "new head" in report[1] and report[2].startswith("froze 9 tensors")
    with pytest.raises(ConfigError, match="checkpoint has 2 classes, model has 4"):
        build_model(ModelConfig(name="smallcnn", checkpoint=str(tmp_path / "old.pt")), num_classes=4, in_chans=3)


def test_builder_options_reach_the_model_and_name_themselves(tmp_path):
    """model.options passes builder arguments (jetcnn's width); an unknown one, or one that a first-class
    field already sets, is refused naming model.options.<key>."""
    from argonet.conf.compose import compose
    from argonet.conf.classify import TrainCommandConfig
    cfg = compose("train", TrainCommandConfig,
                  ["model.name=jetcnn", "model.options.width=8", "model.options.hidden=16"])
    assert cfg.model.options == {"width": 8, "hidden": 16}
    model, _ = build_model(cfg.model, num_classes=5, in_chans=1)
    assert model.stage1[0].out_channels == 8 and model.fc[2].out_features == 16
    with pytest.raises(ConfigError, match=r"^model\.options\.widht: model 'jetcnn' takes no argument 'widht'"):
        build_model(ModelConfig(name="jetcnn", options={"widht": 8}), num_classes=5, in_chans=1)
    with pytest.raises(ConfigError, match=r"^model\.options\.in_chans: set model\.in_chans"):
        compose("train", TrainCommandConfig, ["model.options.in_chans=2"])
    with pytest.raises(ConfigError, match=r"^model\.options\.depth: is set by the task's own section"):
        build_model(ModelConfig(name="uresnet", options={"depth": 3}), num_classes=3, in_chans=3, options={"depth": 4})
