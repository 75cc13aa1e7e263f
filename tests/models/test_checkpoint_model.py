"""A checkpoint dict rebuilds its network: stored builder, or the configuration of older checkpoints."""

from __future__ import annotations

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.checkpoint import CheckpointMismatch, build_from_state
from argonet.models.registry import get_model


def _state(model: torch.nn.Module) -> dict:
    return {"model": model.state_dict(), "builder": model.argonet_builder}


def test_builder_is_recorded_without_pretrained_weights_and_rebuilds_the_same_network():
    torch.manual_seed(0)
    model = get_model("smallcnn", num_classes=3, in_chans=2, drop_rate=0.1).eval()
    assert model.argonet_builder == {"name": "smallcnn", "kwargs": {"num_classes": 3, "in_chans": 2, "drop_rate": 0.1}}
    again = build_from_state(_state(model), "here").eval()
    x = torch.randn(2, 2, 32, 32)
    assert torch.equal(model(x), again(x))


def test_older_checkpoint_is_read_from_its_configuration():
    model = get_model("smallcnn", num_classes=4, in_chans=3)
    state = {"model": model.state_dict(), "class_names": list("abcd"), "input_spec": {"in_chans": 3},
             "config": {"model": {"name": "smallcnn", "options": {}}}}
    assert build_from_state(state, "old.pt").argonet_builder["kwargs"] == {"num_classes": 4, "in_chans": 3}


def test_widths_that_do_not_fit_name_what_differs():
    state = _state(get_model("smallcnn", num_classes=4, in_chans=3))
    with pytest.raises(CheckpointMismatch, match="checkpoint has 3 input channels, model has 2"):
        build_from_state(state, "here", in_chans=2)
    with pytest.raises(ConfigError, match="no config.model.name"):
        build_from_state({"model": {}}, "bare.pt")
