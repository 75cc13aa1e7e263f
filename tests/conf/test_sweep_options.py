"""``argonet sweep``'s options: objectives, directions, pruners, storage URLs."""

from __future__ import annotations

import pytest

from argonet.conf.compose import compose
from argonet.conf.sweep import SweepConfig, SweepOptions, objective_key
from argonet.errors import ConfigError


def test_one_or_several_objectives_with_their_directions():
    assert SweepOptions().objectives() == [("val/loss", "minimize")]
    two = SweepOptions(objective=["val/accuracy", "cost/cpu_s_per_event"], direction=["maximize", "minimize"])
    assert two.objectives() == [("val/accuracy", "maximize"), ("cost/cpu_s_per_event", "minimize")]
    assert objective_key("val/neutrino_iou") == "val_neutrino_iou" and objective_key("train/loss") == "train_loss"
    assert objective_key("val/fake_rate_at_90[e_vs_gamma]") == "val_fake_rate_at_90_e_vs_gamma"
    fake_rate = "val/fake_rate_at_90[e_vs_gamma]"
    assert SweepOptions(objective=fake_rate).objectives() == [(fake_rate, "minimize")]
    cfg = compose("sweep", SweepConfig, ["sweep.space=s.yaml", "sweep.objective=[val/accuracy,cost/parameters]",
                                         "sweep.direction=maximize", "sweep.pruner=none"])
    assert cfg.sweep.objectives() == [("val/accuracy", "maximize"), ("cost/parameters", "maximize")]


@pytest.mark.parametrize("options, message", [
    ({"objective": "accuracy"}, "sweep.objective: unknown objective 'accuracy'"),
    ({"objective": "cost/gpu_hours"}, "sweep.objective: unknown objective 'cost/gpu_hours'"),
    ({"objective": ["val/a", "val/b"], "direction": ["maximize"] * 3}, "sweep.direction: give one direction"),
    ({"direction": "up"}, "sweep.direction: unknown direction 'up'"),
    ({"objective": ["val/a", "val/b"], "pruner": "median"}, "sweep.pruner: pruning needs a single objective"),
    ({"trials": 0}, "sweep.trials: must be >= 1"),
    ({"storage": "study.db"}, "sweep.storage: expected a database URL"),
    ({"workers": 0}, "sweep.workers: must be >= 1"),
])
def test_bad_options_name_the_key(options, message):
    with pytest.raises(ConfigError, match=message):
        SweepOptions(**options)


def test_space_is_required_when_the_sweep_runs_and_resume_is_the_sweeps_own():
    from argonet.recipes.sweep import make_plan

    with pytest.raises(ConfigError, match="sweep.space: name the search space YAML"):
        make_plan(compose("sweep", SweepConfig, []))          # composing works: --help shows the defaults
    with pytest.raises(ConfigError, match="run.resume: a sweep resumes by itself"):
        compose("sweep", SweepConfig, ["sweep.space=s.yaml", "run.resume=true"])
