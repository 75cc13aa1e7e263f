"""The search space: YAML over any training key, checked against the training configuration."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from argonet.conf.classify import TrainCommandConfig
from argonet.errors import ConfigError
from argonet.recipes.sweep_space import Param, apply_params, load_space, parse_param, parse_space


def test_yaml_space_of_floats_ints_and_categoricals(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("optim.lr: {type: float, low: 1e-4, high: 0.1, log: true}\n"
                    "model.options.width: {type: int, low: 8, high: 64, step: 8}\n"
                    "model.name: [smallcnn, resnet18]\n"
                    "loss.balance: {type: categorical, choices: [none, light, focal]}\n"
                    "optim.momentum: {type: float, low: 0.5, high: 0.99}\n")
    space = load_space(path)
    assert space[0] == Param("optim.lr", "float", 1e-4, 0.1, log=True)          # YAML's text 1e-4 read as a number
    assert space[1] == Param("model.options.width", "int", 8, 64, step=8)
    assert space[2].choices == ("smallcnn", "resnet18") and space[3].choices == ("none", "light", "focal")
    assert not space[4].log and space[4].high == 0.99


@pytest.mark.parametrize("key, spec, message", [
    ("optim.lrr", {"type": "float", "low": 0.1, "high": 1},
     "optim.lrr: unknown configuration key (did you mean 'optim.lr'?)"),
    ("modle.name", ["a"], "modle.name: unknown configuration key"),
    ("optim.lr", {"type": "float", "low": 0.1, "high": 0.01}, "optim.lr: low 0.1 > high 0.01"),
    ("model.name", [], "model.name: choices must be a non-empty list"),
    ("loss.balance", {"type": "categorical", "choices": []}, "loss.balance: choices must be a non-empty list"),
    ("model.name", {"type": "float", "low": 0, "high": 1},
     "model.name: type float does not fit the key's type str | None"),
    ("run.epochs", {"type": "float", "low": 1, "high": 3}, "run.epochs: type float does not fit the key's type int"),
    ("run.epochs", {"type": "int", "low": 1.5, "high": 3}, "run.epochs: low must be an integer for type int"),
    ("optim.nesterov", [True, "yes"], "optim.nesterov: choice 'yes' does not fit the key's type bool"),
    ("optim.lr", {"type": "float", "low": "small", "high": 1}, "optim.lr: low must be a number"),
    ("optim.lr", {"type": "float", "low": 0, "high": 1, "log": True}, "optim.lr: log scale needs low > 0"),
    ("optim.lr", {"type": "uniform", "low": 0, "high": 1}, "optim.lr: unknown type 'uniform'"),
    ("optim.lr", {"type": "float", "low": 0.1, "high": 1, "lo": 2}, "optim.lr: unknown field(s) ['lo']"),
    ("optim.lr", {"type": "float", "high": 1}, "optim.lr: type float needs low and high"),
    ("optim.lr.x", [1.0], "optim.lr.x: optim.lr has no sub-keys"),
    ("run.output_dir", ["a", "b"], "run.output_dir: is set by the sweep itself"),
    ("sweep.trials", [1, 2], "sweep.trials: is set by the sweep itself"),
])
def test_bad_entries_are_one_line_naming_the_key(key, spec, message):
    with pytest.raises(ConfigError) as err:
        parse_param(key, spec, "space.yaml")
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"space.yaml: {key}: ") and message in text


def test_bad_files_and_empty_spaces(tmp_path):
    with pytest.raises(ConfigError, match="sweep.space: no search space file at"):
        load_space(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("optim.lr: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML"):
        load_space(tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match="expected a non-empty mapping"):
        parse_space({})


def test_params_set_a_valid_training_config_or_name_the_bad_value():
    base = asdict(TrainCommandConfig())
    cfg = apply_params(base, {"optim.lr": 0.05, "model.options.hidden": 16, "model.name": "jetmlp"}, "out/trial_0001")
    assert isinstance(cfg, TrainCommandConfig) and cfg.optim.lr == 0.05 and cfg.model.options == {"hidden": 16}
    assert cfg.model.name == "jetmlp" and cfg.run.output_dir == "out/trial_0001" and not cfg.run.resume
    assert base["optim"]["lr"] == 0.01                                  # the base is left as it was
    with pytest.raises(ConfigError, match=r"^optim.name: unknown optimizer 'lion'"):
        apply_params(base, {"optim.name": "lion"}, "out")
