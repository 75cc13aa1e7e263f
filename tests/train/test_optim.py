"""Per-group learning rates from group_matcher(), weight-decay groups, and the schedule's shape."""

from __future__ import annotations

import math

import pytest

from argonet.conf.train import OptimConfig
from argonet.errors import ConfigError
from argonet.models.freezing import freeze
from argonet.models.registry import get_model
from argonet.train.optim import LRFactor, build_optimizer, build_scheduler


def _rates(optimizer) -> dict[str, float]:
    return {g["name"]: g["lr"] for g in optimizer.param_groups}


def test_layer_decay_and_group_multipliers():
    model = get_model("resnet18", num_classes=3)
    opt = build_optimizer(model, OptimConfig(lr=0.1, layer_lr_decay=0.5, group_lr={"layer4": 3.0}))
    rates = _rates(opt)
    # groups stem, layer1..4, head: group i of 6 gets 0.5 ** (5 - i)
    assert rates["head"] == pytest.approx(0.1)
    assert rates["layer4"] == pytest.approx(0.1 * 0.5 * 3.0)
    assert rates["layer1"] == pytest.approx(0.1 * 0.5 ** 4)
    assert rates["stem"] == pytest.approx(0.1 * 0.5 ** 5)
    n_params = sum(len(g["params"]) for g in opt.param_groups)
    assert n_params == len(list(model.parameters()))
    for g in opt.param_groups:   # biases and norm weights (1-d) are not decayed
        assert (g["weight_decay"] == 0.0) == all(p.ndim <= 1 for p in g["params"])


def test_frozen_parameters_are_not_optimised_and_all_frozen_is_an_error():
    model = get_model("smallcnn", num_classes=3)
    freeze(model, [r"^(?!fc\.)"])
    opt = build_optimizer(model, OptimConfig(name="adamw", lr=1e-3))
    assert {g["name"] for g in opt.param_groups} == {"head"}
    freeze(model, [r"fc\."])
    with pytest.raises(ConfigError, match="every parameter is frozen"):
        build_optimizer(model, OptimConfig())


def test_unknown_group_name_lists_groups():
    with pytest.raises(ConfigError, match=r"optim.group_lr: unknown layer group 'layer9'.*valid: stem, stage1"):
        build_optimizer(get_model("smallcnn"), OptimConfig(group_lr={"layer9": 2.0}))


def test_warmup_then_cosine():
    cfg = OptimConfig(warmup_epochs=1, warmup_start_factor=0.1, min_lr_factor=0.01)
    f = LRFactor(cfg, steps_per_epoch=10, epochs=5)
    assert f(0) == pytest.approx(0.1)
    assert f(5) == pytest.approx(0.1 + 0.9 * 0.5)
    assert f(10) == pytest.approx(1.0)
    assert f(30) == pytest.approx(0.01 + 0.99 * 0.5)    # half-way through the cosine
    assert f(50) == pytest.approx(0.01) and f(70) == pytest.approx(0.01)


def test_step_schedule_and_scheduler_scales_every_group():
    f = LRFactor(OptimConfig(schedule="step", step_epochs=2, step_gamma=0.1), steps_per_epoch=5, epochs=6)
    assert [f(s) for s in (0, 9, 10, 19, 20)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    model = get_model("smallcnn", num_classes=3)
    cfg = OptimConfig(lr=1.0, layer_lr_decay=0.5, schedule="cosine")
    opt = build_optimizer(model, cfg)
    sched = build_scheduler(opt, cfg, steps_per_epoch=4, epochs=2)
    for _ in range(4):
        opt.step()
        sched.step()
    rates = _rates(opt)
    assert rates["head"] == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert rates["stem"] == pytest.approx(rates["head"] * 0.5 ** 3)
