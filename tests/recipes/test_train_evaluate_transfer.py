"""``argonet train``, ``argonet evaluate`` and ``argonet transfer`` end to end on a tiny simulated sample.

(Named ``test_train_command.py``: ``tests/conf/test_train.py`` already holds the basename ``test_train``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_threads import one_torch_thread

from argonet.conf.compose import compose
from argonet.cli.main import main
from argonet.conf.classify import TrainCommandConfig, TransferConfig
from argonet.data.loader import split_entries
from argonet.errors import ConfigError
from argonet.viz.metrics import plot_confusion

N_EVENTS = 48
CLASSES = ["CCQE", "CCRES", "NCQE", "NCRES"]
QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=8"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """48 neutrino interactions (the four classes) as 3 planes of 64 x 64 vertex crops."""
    path = tmp_path_factory.mktemp("data") / "tiny.h5"
    assert main(["simulate", f"n_events={N_EVENTS}", "image.crop_wires=64", "image.crop_ticks=64", "seed=3",
                 "progress=false", f"output={path}"]) == 0
    return path


@pytest.fixture(scope="module")
def trained(sample, tmp_path_factory) -> Path:
    """The output folder of a 2-epoch smallcnn run."""
    out = tmp_path_factory.mktemp("train")
    with one_torch_thread():
        assert main(["train", "task=classify", "model.name=smallcnn", f"data.file={sample}", "run.epochs=2",
                     f"run.output_dir={out}", *QUIET]) == 0
    return out


@pytest.fixture(scope="module")
def transfer(sample, tmp_path_factory):
    """All stages of the transfer recipe, as short as they go."""
    from argonet.recipes.transfer import transfer as run

    out = tmp_path_factory.mktemp("transfer")
    cfg = compose("transfer", TransferConfig, ["model.name=smallcnn", f"data.file={sample}", f"run.output_dir={out}",
                                               "baseline.epochs=1", "head.epochs=2", "finetune.epochs=1", *QUIET])
    with one_torch_thread():
        return run(cfg)


def test_train_writes_a_checkpoint_with_classes_and_input_spec(trained):
    state = torch.load(trained / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["class_names"] == CLASSES                       # taken from the file's truth, EVENT_CLASSES order
    assert state["input_spec"]["in_chans"] == 3 and state["input_spec"]["image_shape"] == [64, 64]
    assert state["config"]["model"]["name"] == "smallcnn" and state["config"]["task"] == "classify"
    assert state["model"]["fc.weight"].shape == (4, 128)         # width from the data, never typed
    assert state["builder"] == {"name": "smallcnn", "kwargs": {"num_classes": 4, "in_chans": 3}}
    assert len(state["progress"]["history"]) == 2 and (trained / "best.pt").is_file()


def test_class_count_typed_against_the_data_is_one_line(sample, tmp_path, capsys):
    assert main(["train", "model.name=smallcnn", "model.num_classes=3", f"data.file={sample}",
                 f"run.output_dir={tmp_path}", *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "model.num_classes: is 3 but the dataset has 4 classes" in err


def test_batch_size_typed_twice_is_refused():
    with pytest.raises(ConfigError, match="data.batch_size: is not an option of argonet train: set run.batch_size"):
        compose("train", TrainCommandConfig, ["data.batch_size=4", "run.batch_size=8"])


def test_evaluate_writes_metrics_of_the_test_split(trained, sample, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", f"checkpoint={trained / 'best.pt'}", f"data.file={sample}", f"output_dir={out}",
                 "device=cpu"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    printed = capsys.readouterr().out
    assert printed.startswith("argonet ") and f"output_dir: {out}" in printed           # the config, at start
    assert report["config"]["command"] == "evaluate" and report["config"]["split"] == "test"
    assert report["config"]["data"]["file"] == str(sample)
    n_test = len(split_entries(N_EVENTS, [0.8, 0.1, 0.1], seed=0)["test"])
    cm = np.array(report["confusion"])
    assert cm.shape == (4, 4) and cm.sum() == n_test == report["n_events"]
    assert report["accuracy"] == pytest.approx(np.trace(cm) / n_test)
    for row, normalised in zip(cm, report["confusion_row_normalised"]):
        if row.sum():
            assert np.allclose(normalised, row / row.sum(), atol=1e-6)
    assert set(report["efficiency"]) == set(report["purity"]) == set(CLASSES)
    png = (out / "confusion.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    rows = [line.split(",") for line in (out / "predictions.csv").read_text().splitlines()]
    assert rows[0] == ["entry", "true", "predicted", *(f"p_{c}" for c in CLASSES)]
    test_entries = split_entries(N_EVENTS, [0.8, 0.1, 0.1], seed=0)["test"]
    assert [int(r[0]) for r in rows[1:]] == test_entries.tolist()
    predicted = [CLASSES.index(r[2]) for r in rows[1:]]
    true = [CLASSES.index(r[1]) for r in rows[1:]]
    assert np.array_equal(cm, np.bincount(np.array(true) * 4 + predicted, minlength=16).reshape(4, 4))
    assert all(abs(sum(map(float, r[3:])) - 1) < 1e-3 and CLASSES[int(np.argmax(list(map(float, r[3:]))))] == r[2]
               for r in rows[1:])


def test_confusion_figure_annotates_fractions_and_counts():
    fig = plot_confusion(np.array([[3, 1], [0, 4]]), ["CCQE", "NCQE"], "test")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"0.75\n(3)", "0.25\n(1)", "0.00\n(0)", "1.00\n(4)"} <= texts
    assert "accuracy 0.875" in fig.axes[0].get_title()


def test_file_without_truth_classes_is_one_line(sample_path, tmp_path, capsys):
    assert main(["train", "model.name=smallcnn", f"data.file={sample_path}", f"run.output_dir={tmp_path}",
                 *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no event class stored" in err and str(sample_path) in err


def test_transfer_freezes_the_backbone_and_trains_the_head(transfer):
    baseline = torch.load(transfer.checkpoints["baseline"], map_location="cpu", weights_only=True)
    head = torch.load(transfer.checkpoints["head"], map_location="cpu", weights_only=True)
    assert baseline["class_names"] == CLASSES[:2] and head["class_names"] == CLASSES
    backbone = [k for k in head["model"] if not k.startswith("fc.")]
    assert backbone and all(torch.equal(head["model"][k], baseline["model"][k]) for k in backbone)  # incl. BN stats
    assert head["model"]["fc.weight"].shape == (4, 128)
    assert not torch.equal(head["model"]["fc.weight"], transfer.initial_head["fc.weight"])
    tuned = torch.load(transfer.checkpoints["finetune"], map_location="cpu", weights_only=True)
    assert not all(torch.equal(tuned["model"][k], baseline["model"][k]) for k in backbone if k.endswith("weight"))


def test_transfer_reports_both_evaluations_on_the_test_split(transfer):
    n_test = len(split_entries(N_EVENTS, [0.8, 0.1, 0.1], seed=0)["test"])
    for report in (transfer.test_frozen, transfer.test_finetuned):
        assert np.array(report["confusion"]).sum() == n_test and report["class_names"] == CLASSES
    summary = json.loads(transfer.report["json"].read_text())
    assert summary["frozen_backbone"]["n_events"] == summary["finetuned"]["n_events"] == n_test
    markdown = transfer.report["markdown"].read_text()
    assert "| frozen backbone | fine-tuned |" in markdown
    assert transfer.report["png"].read_bytes().startswith(b"\x89PNG")


def test_two_class_checkpoint_on_four_class_data_is_one_line(transfer, sample, tmp_path, capsys):
    assert main(["evaluate", f"checkpoint={transfer.checkpoints['baseline']}", f"data.file={sample}",
                 f"output_dir={tmp_path}", "device=cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "checkpoint has 2 classes, model has 4" in err
    assert "data classes ['CCQE', 'CCRES', 'NCQE', 'NCRES']" in err


def test_transfer_baseline_classes_must_lead_the_classes():
    with pytest.raises(ConfigError, match="baseline_classes: must be at least 2 classes and the first entries"):
        TransferConfig(baseline_classes=["NCQE", "CCQE"])


def test_checkpoint_with_other_planes_or_none_given_is_one_line(trained, sample, tmp_path, capsys):
    assert main(["evaluate", f"checkpoint={trained / 'best.pt'}", f"data.file={sample}", "data.planes=[0,1]",
                 f"output_dir={tmp_path}", "device=cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "checkpoint has 3 input channels, model has 2" in err
    assert main(["evaluate", f"data.file={sample}", f"output_dir={tmp_path}"]) == 2
    assert "checkpoint: name the checkpoint to evaluate" in capsys.readouterr().err


def test_transfer_reuses_a_baseline_checkpoint(transfer, trained, sample, tmp_path, capsys):
    baseline = transfer.checkpoints["baseline"]
    out = tmp_path / "again"
    args = ["transfer", "model.name=smallcnn", f"data.file={sample}", f"run.output_dir={out}", "head.epochs=1",
            "finetune.epochs=1", *QUIET]
    with one_torch_thread():
        assert main([*args, f"baseline_checkpoint={baseline}", f"report_dir={tmp_path / 'study'}"]) == 0
    assert not (out / "baseline").exists()              # the stage was skipped
    assert json.loads((tmp_path / "study" / "results.json").read_text())["finetuned"]["n_events"] > 0
    assert not (out / "results.json").exists()           # report_dir holds the report instead
    head = torch.load(out / "head" / "checkpoint.pt", map_location="cpu", weights_only=True)
    first = torch.load(baseline, map_location="cpu", weights_only=True)
    assert all(torch.equal(head["model"][k], first["model"][k]) for k in first["model"] if not k.startswith("fc."))
    assert main([*args, f"baseline_checkpoint={trained / 'best.pt'}"]) == 2      # a 4-class checkpoint
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "baseline_checkpoint:" in err and "not the baseline_classes ['CCQE', 'CCRES']" in err


def _train_one_step(sample: Path, out: Path, seed: int, *extra: str) -> dict:
    """The weights after one optimiser step of a smallcnn run with ``run.seed=seed``."""
    with one_torch_thread():
        assert main(["train", "task=classify", "model.name=smallcnn", f"data.file={sample}", "run.max_steps=1",
                     f"run.seed={seed}", f"run.output_dir={out}", *QUIET, *extra]) == 0
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)["model"]


def test_train_initial_weights_follow_run_seed(sample, tmp_path):
    runs = []
    for i, seed in enumerate((0, 0, 1)):
        torch.manual_seed(1000 + i)          # a different global random state before each run
        runs.append(_train_one_step(sample, tmp_path / str(i), seed))
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not all(torch.equal(runs[0][k], runs[2][k]) for k in runs[0])


def test_transfer_baseline_initial_weights_follow_run_seed(sample, tmp_path):
    from argonet.recipes.transfer import _baseline, _Stages

    weights = []
    for i in range(2):
        cfg = compose("transfer", TransferConfig, ["model.name=smallcnn", f"data.file={sample}", "baseline.epochs=1",
                                                   f"run.output_dir={tmp_path / str(i)}", "run.max_steps=1", *QUIET])
        torch.manual_seed(1000 + i)          # a different global random state before each run
        with one_torch_thread():
            weights.append(torch.load(_baseline(_Stages(cfg)), map_location="cpu", weights_only=True)["model"])
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_train_refuses_a_folder_holding_a_run_unless_overwrite(sample, tmp_path, capsys):
    out = tmp_path / "run"
    first = _train_one_step(sample, out, 0)
    (out / "marker.txt").write_text("kept")
    capsys.readouterr()
    assert main(["train", "model.name=smallcnn", f"data.file={sample}", f"run.output_dir={out}", *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "already holds a training run" in err and "overwrite=true" in err
    assert all(torch.equal(v, first[k]) for k, v in _load_model(out).items())    # untouched
    second = _train_one_step(sample, out, 1, "overwrite=true")
    assert not all(torch.equal(second[k], first[k]) for k in first)
    assert (out / "marker.txt").read_text() == "kept"                            # only the run's own files go


def _load_model(out: Path) -> dict:
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)["model"]
