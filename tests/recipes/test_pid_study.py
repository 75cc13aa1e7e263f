"""The particle-identification study end to end on a tiny sample: choices on validation, the test split
once, mining, per-plane efficiency, energy regression, and the results file's headline keys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from argonet.conf.compose import compose
from argonet.cli.main import main
from argonet.conf.pid import PidStudyConfig
from argonet.data.loader import split_entries
from argonet.errors import ConfigError
from argonet.recipes.pid import run_study
from argonet.recipes.pid_sample import simulate_overrides

N_EVENTS = 100


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """100 beamline particles of the five classes, ticks summed by 8 at simulation (small images)."""
    path = tmp_path_factory.mktemp("data") / "pid.h5"
    assert main(["simulate", *simulate_overrides(N_EVENTS, str(path), seed=2, tick_downsample=8)]) == 0
    return path


@pytest.fixture(scope="module")
def study(sample, tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("study") / "particle_id"
    cfg = compose("pid", PidStudyConfig, [f"data.file={sample}", "downsample=[4,8]", "wire_downsample=2",
                                          "run.epochs=1", "run.batch_size=8", "run.device=cpu",
                                          f"run.output_dir={out.parent / 'runs'}", f"output_dir={out}",
                                          "per_plane=true", "n_worst=2", "data.split=[0.5,0.25,0.25]"])
    previous = torch.get_num_threads()
    try:
        return run_study(cfg), out                               # the study sets cfg.threads (1) itself
    finally:
        torch.set_num_threads(previous)


def test_results_file_has_the_headline_keys(study):
    results, out = study
    written = json.loads((out / "results.json").read_text())
    assert set(written["fake_rate_at_90"]) == {"e_vs_gamma", "e_vs_all", "mu_vs_pi"}
    assert all(v is None or 0.0 <= v <= 1.0 for v in written["fake_rate_at_90"].values())
    assert written["model"].startswith("smallcnn") and written["downsample"] in (4, 8)
    test = split_entries(N_EVENTS, [0.5, 0.25, 0.25], 0)["test"]
    assert written["test_events"] == len(test) == written["test"]["report"]["n_events"]
    for name in ("results.json", "table.md", "roc.png", "confusion.png", "efficiency_vs_energy.png",
                 "energy_resolution.png", "worst_misclassified.png"):
        assert (out / name).is_file(), name


def test_the_factor_is_chosen_on_validation(study):
    results, _ = study
    scan = results["validation_scan"]
    assert [row["downsample"] for row in scan] == [4, 8]
    assert results["downsample"] == min(scan, key=lambda r: r["val_headline"])["downsample"]


def test_mining_reports_validation_before_and_after(study):
    mining = study[0]["mining"]
    assert 0 <= mining["mined_train_events"] <= mining["train_events"] == 50
    assert mining["kept"] == (mining["val_headline_after"] < mining["val_headline_before"])


def test_test_split_figures_and_energy_resolution(study):
    results, _ = study
    test = results["test"]
    for pair in test["pairs"].values():
        assert pair["n_background"] > 0 and "at_chosen_threshold" in pair
    assert {"plane 0", "plane 1", "planes combined (product)", "two-plane model"} == set(test["efficiency_vs_energy"])
    totals = np.array(test["efficiency_vs_energy"]["two-plane model"]["total"])
    assert totals.sum() == results["test_events"]              # every test event lies in the 0-2 GeV bins
    energy = results["energy"]
    assert energy["loss"].startswith("mean squared error of ln E")
    assert set(energy["cnn"]) <= set(results["config"]["data"]["class_names"])
    for method in ("mip", "wire"):
        assert all(s > 0 for s in energy["calorimetric_scale_per_class"][method].values())
        assert set(energy[f"calorimetric_{method}"]) <= set(results["config"]["data"]["class_names"])


def test_bad_study_options_name_the_key():
    with pytest.raises(ConfigError, match="^data.downsample:"):
        PidStudyConfig(data=PidStudyConfig().data.__class__(downsample=4, class_names=["A", "B"]))
    with pytest.raises(ConfigError, match="^downsample:"):
        PidStudyConfig(downsample=[2, 2])
    with pytest.raises(ConfigError, match="^mining_weight:"):
        PidStudyConfig(mining_weight=0.5)
