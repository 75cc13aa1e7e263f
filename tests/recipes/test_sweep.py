"""``argonet sweep`` end to end on a tiny jet file: trials are training runs, the report and the best
configuration are written, the sampler is seeded, pruning stops a bad trial, several objectives give a front."""

from __future__ import annotations

from dataclasses import asdict
import json

import optuna
import pytest
import torch
from sweep_setup import one_torch_thread, sweep_args, sweep_config

from argonet.conf.compose import compose, to_yaml
from argonet.cli.main import main
from argonet.conf.classify import TrainCommandConfig
from argonet.recipes.sweep import _sampler, database_url, make_plan, open_study, run_sweep
from argonet.recipes.sweep_report import redact


def replace_seed(cfg, seed: int):
    """``cfg`` with another sampler seed."""
    cfg.sweep.seed = seed
    return cfg


@pytest.fixture(scope="module")
def swept(jet_file, space_file, tmp_path_factory):
    """A 3-trial sweep maximising validation accuracy, through the command line."""
    folder = tmp_path_factory.mktemp("sweep")
    args = sweep_args(jet_file, space_file, folder, "sweep.trials=3", "sweep.objective=val/accuracy",
                      "sweep.direction=maximize", "sweep.seed=5", "sweep.pruner=none")
    with one_torch_thread():
        assert main(["sweep", *args]) == 0
    return folder


def test_each_trial_is_a_training_run_with_its_config(swept):
    doc = json.loads((swept / "sweep.json").read_text())
    assert doc["kind"] == "argonet-sweep" and doc["objectives"] == [{"name": "val/accuracy", "direction": "maximize"}]
    trials = doc["trials"]
    assert [t["state"] for t in trials] == ["complete"] * 3 and [t["number"] for t in trials] == [0, 1, 2]
    for trial in trials:
        run = swept / trial["run_dir"]
        state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
        assert state["config"]["optim"]["lr"] == trial["params"]["optim.lr"]          # what was sampled was trained
        assert state["config"]["model"]["options"] == {"hidden": trial["params"]["model.options.hidden"]}
        assert state["config"]["run"]["output_dir"] == str(run) and (run / "config.yaml").is_file()
        assert trial["value"] == trial["metrics"]["val_accuracy"] == state["progress"]["history"][0]["val_accuracy"]
        assert 1e-3 <= trial["params"]["optim.lr"] <= 0.3 and trial["params"]["optim.name"] in ("sgd", "adamw")
    best = max(trials, key=lambda t: (t["value"], -t["number"]))
    assert doc["best"] == [best["number"]]


def test_best_config_runs_as_train_overrides_and_the_report_is_written(swept):
    doc = json.loads((swept / "sweep.json").read_text())
    best = next(t for t in doc["trials"] if t["number"] == doc["best"][0])
    overrides = (swept / "best.overrides").read_text().split()
    cfg = compose("train", TrainCommandConfig, overrides)
    assert to_yaml(cfg) == (swept / "best.yaml").read_text()
    assert cfg.optim.lr == best["params"]["optim.lr"] and cfg.optim.name == best["params"]["optim.name"]
    assert cfg.model.name == "jetmlp" and cfg.run.output_dir == str(swept / "best_run")
    with one_torch_thread():
        assert main(["train", *overrides]) == 0                              # the winning trial, trained again
    again = torch.load(swept / "best_run" / "checkpoint.pt", map_location="cpu", weights_only=True)
    trial = torch.load(swept / best["run_dir"] / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert again["progress"]["history"] == trial["progress"]["history"]
    report = json.loads((swept / "report.json").read_text())
    assert report["states"] == {"complete": 3} and report["best"][0]["number"] == best["number"]
    importances = report["importances"]["val/accuracy"]
    assert set(importances) == {"optim.lr", "model.options.hidden", "optim.name"}
    assert sum(importances.values()) == pytest.approx(1.0)
    for name in ("history.png", "parallel.png", "importances.png", "history.html", "parallel.html",
                 "importances.html"):
        assert (swept / name).stat().st_size > 1000 and name in report["figures"]
    text = (swept / "report.md").read_text()
    assert f"| {best['name']} |" in text and "argonet train $(cat best.overrides)" in text


def test_the_same_sweep_twice_proposes_the_same_trials(swept, jet_file, space_file, tmp_path):
    cfg = sweep_config(jet_file, space_file, tmp_path, "sweep.trials=2", "sweep.objective=val/accuracy",
                       "sweep.direction=maximize", "sweep.seed=5", "sweep.pruner=none")
    with one_torch_thread():
        run_sweep(cfg)
    again = json.loads((tmp_path / "sweep.json").read_text())["trials"]
    first = json.loads((swept / "sweep.json").read_text())["trials"]
    assert [t["params"] for t in again] == [t["params"] for t in first[:2]]
    assert [t["value"] for t in again] == [t["value"] for t in first[:2]]        # and trains them alike
    other = optuna.create_study(sampler=_sampler(make_plan(replace_seed(cfg, 6)), 0))
    assert other.ask().suggest_float("optim.lr", 1e-3, 0.3, log=True) != first[0]["params"]["optim.lr"]


def test_pruning_stops_a_trial_that_reports_a_bad_metric(jet_file, space_file, tmp_path):
    cfg = sweep_config(jet_file, space_file, tmp_path, "run.epochs=3", "sweep.trials=2", "sweep.pruner=median",
                       "sweep.prune_startup_trials=1")
    study = open_study(make_plan(cfg))       # a finished trial whose validation loss was 0 after every epoch
    study.add_trial(optuna.trial.create_trial(value=0.0, intermediate_values={0: 0.0, 1: 0.0, 2: 0.0}))
    with one_torch_thread():
        summary = run_sweep(cfg)
    assert summary.states == {"complete": 1, "pruned": 1}
    pruned = next(t for t in json.loads((tmp_path / "sweep.json").read_text())["trials"] if t["state"] == "pruned")
    assert pruned["number"] == 1 and list(pruned["intermediate"]) == ["0"] and pruned["value"] > 0.0
    state = torch.load(tmp_path / pruned["run_dir"] / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["epoch"] == 1 and len(state["progress"]["history"]) == 1      # stopped after epoch 0 of 3, kept


def test_hyperband_prunes_over_the_runs_epochs(jet_file, space_file, tmp_path):
    plan = make_plan(sweep_config(jet_file, space_file, tmp_path, "run.epochs=9", "sweep.pruner=hyperband"))
    pruner = open_study(plan).pruner
    assert isinstance(pruner, optuna.pruners.HyperbandPruner) and pruner._max_resource == 9


def test_two_objectives_give_a_pareto_front(jet_file, space_file, tmp_path):
    cfg = sweep_config(jet_file, space_file, tmp_path, "sweep.trials=3",
                       "sweep.objective=[val/accuracy,cost/cpu_s_per_event]", "sweep.direction=[maximize,minimize]")
    with one_torch_thread():
        summary = run_sweep(cfg)
    report = json.loads((tmp_path / "report.json").read_text())
    rows = {r["number"]: r for r in json.loads((tmp_path / "sweep.json").read_text())["trials"]}
    assert summary.states == {"complete": 3} and report["pareto"] and len(summary.best) == len(report["pareto"])
    for number in report["pareto"]:                 # nothing else is at least as good on both and better on one
        acc, cpu = rows[number]["values"]
        assert cpu > 0 and not any(r["values"][0] >= acc and r["values"][1] <= cpu and r["values"] != [acc, cpu]
                                   for r in rows.values())
    assert (tmp_path / "pareto.png").stat().st_size > 1000 and (tmp_path / "pareto.html").is_file()
    assert "## Pareto front" in (tmp_path / "report.md").read_text()


def test_bad_space_and_unknown_metric_are_one_line(jet_file, space_file, tmp_path, capsys):
    assert main(["sweep", "--help"]) == 0 and "prune_startup_trials: 2" in capsys.readouterr().out
    space = tmp_path / "bad.yaml"
    space.write_text("optim.lrr: {type: float, low: 0.1, high: 1.0}\n")
    assert main(["sweep", *sweep_args(jet_file, space, tmp_path / "a")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith("bad.yaml: optim.lrr: unknown configuration key (did you mean 'optim.lr'?)")
    cfg = sweep_config(jet_file, space_file, tmp_path / "b", "sweep.trials=1", "sweep.objective=val/auc")
    with one_torch_thread():
        summary = run_sweep(cfg)
    trial = json.loads((tmp_path / "b" / "sweep.json").read_text())["trials"][0]
    assert summary.states == {"failed": 1} and trial["error"].startswith("sweep.objective: training reports no val/auc")
    assert "val/accuracy" in trial["error"] and not (tmp_path / "b" / "best.yaml").exists()


def test_base_config_is_each_trials_start(jet_file, space_file, tmp_path):
    plan = make_plan(sweep_config(jet_file, space_file, tmp_path, "optim.weight_decay=0.001"))
    assert plan.base["optim"]["weight_decay"] == 0.001 and "sweep" not in plan.base
    assert plan.storage_url == f"sqlite:///{tmp_path.resolve() / 'study.db'}"
    assert redact("postgresql://ana:secret@db.example:5432/sweeps") == "postgresql://ana:***@db.example:5432/sweeps"
    assert database_url("postgresql://ana@db/sweeps").startswith("postgresql")
    assert asdict(TrainCommandConfig())["optim"].keys() == plan.base["optim"].keys()
