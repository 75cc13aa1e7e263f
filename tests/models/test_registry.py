"""The model registry: names, duplicate protection, clear errors for unknown names and arguments."""

from __future__ import annotations

import pytest

from argonet.errors import ConfigError
from argonet.models.registry import get_model, list_models, register_model


def test_builtin_models_are_listed():
    assert {"resnet18", "resnet34", "resnet50", "googlenet", "smallcnn"} <= set(list_models())
    assert list_models() == sorted(list_models())


def test_duplicate_name_raises():
    with pytest.raises(ValueError, match="already registered.*resnet18"):
        register_model("resnet18")(lambda **kw: None)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        get_model("resnet19")
    text = str(err.value)
    assert err.value.field == "model.name"
    assert "resnet19" in text and all(name in text for name in list_models())
    assert "\n" not in text


def test_none_arguments_take_the_builder_default():
    model = get_model("smallcnn", num_classes=None, in_chans=None, weights=None)
    assert (model.num_classes, model.in_chans) == (1000, 3)
    assert get_model("smallcnn", num_classes=4, in_chans=2).fc.out_features == 4


def test_unknown_argument_names_the_field():
    with pytest.raises(ConfigError, match="model.depth.*takes no argument"):
        get_model("smallcnn", depth=3)


def test_module_filter_lists_one_family():
    classifiers = list_models(module="argonet.models.classifiers")
    assert {"resnet18", "googlenet", "smallcnn"} <= set(classifiers)
    assert "uresnet" not in classifiers and "jetcnn" not in classifiers
    assert "uresnet" in list_models(module="argonet.models.uresnet")
