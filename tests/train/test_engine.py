"""The generic loop: it trains, accumulates exactly, resumes bit for bit, stops on NaN and early."""

from __future__ import annotations

import math

import pytest
import torch
from train_toys import ClassifyTask, toy_images, train_toy

from argonet.errors import ConfigError
from argonet.train import checkpoint as ckpt
from argonet.train.engine import NonFiniteLossError


def _same(a: dict, b: dict, atol: float = 0.0) -> list[str]:
    """Keys whose tensors differ by more than atol."""
    return [k for k in a if not torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol)]


def test_fit_learns_and_writes_checkpoint_log_and_tensorboard(tmp_path):
    model, result = train_toy(tmp_path, n_train=96, run={"epochs": 3, "tensorboard": True, "log_every_steps": 2})
    assert result.stopped == "completed" and len(result.history) == 3
    assert result.history[-1]["val_accuracy"] >= 0.9          # bands are easy: a loop that trains gets them
    assert result.history[-1]["train_loss"] < 0.5 * result.history[0]["train_loss"]
    state = torch.load(result.checkpoint, weights_only=True)
    assert state["format"] == ckpt.FORMAT
    assert {"model", "optimizer", "scheduler", "scaler", "epoch", "step", "rng", "config", "class_names",
            "input_spec"} <= set(state)
    assert state["epoch"] == 3 and state["step"] == 3 * 12 and state["class_names"] == ["a", "b", "c"]
    assert state["config"]["run"]["epochs"] == 3 and state["input_spec"]["in_chans"] == 2
    assert not _same(state["model"], model.state_dict())
    assert set(state["rng"][0]["process"]) == {"torch", "cuda", "numpy", "python"}
    assert result.best is not None and result.best.exists()
    assert "epoch 2:" in (tmp_path / "train.log").read_text()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/lr_head", "train/lr_stem", "train/epoch_loss", "val/loss", "val/accuracy"} <= tags
    assert [e.step for e in events.Scalars("val/accuracy")] == [12, 24, 36]


def test_accumulated_micro_batches_equal_one_big_batch(tmp_path):
    # No batch norm (its statistics depend on the micro-batch) and plain SGD; 44 images give a
    # final partial step (4 images) that must also be averaged over what it has.
    common = {"n_train": 44, "model": {"norm": "none"}, "optim": {"momentum": 0.0, "lr": 0.1}, "val": False}
    big, _ = train_toy(tmp_path / "big", batch_size=8, **common)
    small, _ = train_toy(tmp_path / "small", batch_size=4, run={"accumulate": 2}, **common)
    assert not _same(big.state_dict(), small.state_dict(), atol=1e-6)
    single, _ = train_toy(tmp_path / "single", batch_size=4, **common)     # control: the test can fail
    assert _same(big.state_dict(), single.state_dict(), atol=1e-6)


class CrashAt(ClassifyTask):
    """Raises at the n-th training batch, as a killed job would stop."""

    def __init__(self, n: int):
        super().__init__(flip=True)
        self.n, self.calls = n, 0

    def __call__(self, model, batch):
        if model.training:
            self.calls += 1
            if self.calls == self.n:
                raise KeyboardInterrupt("simulated kill")
        return super().__call__(model, batch)


@pytest.mark.parametrize("interruption", ["max_steps", "killed_after_epoch"])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, interruption):
    # Batch norm, dropout, momentum, warm-up + cosine, accumulation and a random flip drawn from the
    # global generator: every state the checkpoint must carry. 12 batches of 4 = 6 steps per epoch.
    setup = {"n_train": 48, "batch_size": 4, "model": {"drop_rate": 0.3},
             "optim": {"warmup_epochs": 0.5, "weight_decay": 1e-3}}
    run = {"epochs": 3, "accumulate": 2, "deterministic": True}
    full, full_result = train_toy(tmp_path / "full", run=run, task=ClassifyTask(flip=True), **setup)
    if interruption == "max_steps":      # stops mid-epoch 0, after 5 of 6 steps
        _, part = train_toy(tmp_path / "part", run={**run, "max_steps": 5, "checkpoint_every_steps": 4},
                            task=ClassifyTask(flip=True), **setup)
        assert part.stopped == "max_steps" and part.progress.step == 5
    else:                                # killed at the 3rd batch of epoch 1: the epoch-0 checkpoint remains
        with pytest.raises(KeyboardInterrupt):
            train_toy(tmp_path / "part", run=run, task=CrashAt(15), **setup)
        assert torch.load(tmp_path / "part" / "checkpoint.pt", weights_only=True)["step"] == 6
    resumed, resumed_result = train_toy(tmp_path / "part", run={**run, "resume": True},
                                        task=ClassifyTask(flip=True), **setup)
    assert resumed_result.progress.step == full_result.progress.step == 18
    assert not _same(full.state_dict(), resumed.state_dict())
    assert [h["train_loss"] for h in resumed_result.history] == [h["train_loss"] for h in full_result.history]
    a, b = (torch.load(tmp_path / run / "checkpoint.pt", weights_only=True)["optimizer"] for run in ("full", "part"))
    assert all(torch.equal(a["state"][i]["momentum_buffer"], b["state"][i]["momentum_buffer"]) for i in a["state"])


class NanAfter(ClassifyTask):
    """Returns a NaN loss from the n-th training call on."""

    def __init__(self, n: int):
        super().__init__()
        self.n, self.calls = n, 0

    def __call__(self, model, batch):
        out = super().__call__(model, batch)
        if model.training:
            self.calls += 1
            if self.calls >= self.n:
                out["loss"] = out["loss"] * math.nan
        return out


def test_nan_loss_stops_with_message_and_keeps_last_good_checkpoint(tmp_path):
    with pytest.raises(NonFiniteLossError) as err:
        train_toy(tmp_path, task=NanAfter(6), run={"checkpoint_every_steps": 2}, val=False)
    text = str(err.value)
    assert "loss is nan" in text and "after 5 optimiser steps" in text
    assert f"last good checkpoint {tmp_path / 'checkpoint.pt'}" in text and "\n" not in text
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["step"] == 4
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


class WorseEachEvaluation(ClassifyTask):
    """Validation loss 1, 2, 3, ...: it never improves after the first epoch."""

    def __init__(self):
        super().__init__()
        self.evaluations = 0

    def __call__(self, model, batch):
        out = super().__call__(model, batch)
        if not model.training:
            out["loss"] = torch.tensor(float(self.evaluations))
        return out

    def metrics(self, outputs, targets):
        self.evaluations += 1
        return super().metrics(outputs, targets)


def test_early_stopping_on_validation_loss(tmp_path):
    task = WorseEachEvaluation()
    task.evaluations = 1
    _, result = train_toy(tmp_path, task=task, run={"epochs": 10, "early_stopping_patience": 2})
    assert result.stopped == "early_stopping"
    assert [h["val_loss"] for h in result.history] == [1.0, 2.0, 3.0]
    assert torch.load(result.best, weights_only=True)["epoch"] == 1      # saved after epoch 0, the best
    assert torch.load(result.checkpoint, weights_only=True)["progress"]["bad_epochs"] == 2


class StopAfter(Exception):
    """Raised by an epoch callback to stop training (as a sweep's pruner does)."""


def test_epoch_callbacks_see_each_record_and_can_stop_the_run(tmp_path):
    seen = []

    def watch(epoch, record):
        seen.append((epoch, record))

    def stop(epoch, record):
        if record["val_accuracy"] >= 0.0 and epoch == 1:
            raise StopAfter(f"epoch {epoch}")

    with pytest.raises(StopAfter, match="epoch 1"):
        train_toy(tmp_path, run={"epochs": 4}, callbacks=[watch, stop])
    assert [e for e, _ in seen] == [0, 1] and {"train_loss", "val_loss", "val_accuracy"} <= set(seen[1][1])
    state = torch.load(tmp_path / ckpt.LAST, weights_only=True)        # the checkpoint of the stopping epoch
    assert state["epoch"] == 2 and [h["epoch"] for h in state["progress"]["history"]] == [0, 1]
    assert state["progress"]["history"][1]["val_loss"] == seen[1][1]["val_loss"]


def test_channels_last_trains_like_contiguous(tmp_path):
    ref, _ = train_toy(tmp_path / "ref", run={"epochs": 1, "channels_last": False}, val=False)
    cl, _ = train_toy(tmp_path / "cl", run={"epochs": 1}, val=False)        # the default
    assert cl.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not ref.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not _same(ref.state_dict(), cl.state_dict(), atol=1e-4)


def test_resume_without_checkpoint_is_a_config_error(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"run.resume: no checkpoint at .*checkpoint.pt"):
        train_toy(out, run={"resume": True, "tensorboard": True})
    assert not out.exists(), "a refused resume must not leave an empty run folder behind"


def test_no_full_training_batch_is_a_data_error(tmp_path):
    """A split smaller than one batch must not 'train' on nothing and report a zero loss."""
    from torch.utils.data import DataLoader, TensorDataset

    from argonet.conf.train import OptimConfig, RunConfig
    from argonet.errors import DataError
    from argonet.train.engine import fit
    from train_toys import TinyNet

    empty = DataLoader(TensorDataset(torch.zeros(4, 2, 16, 16), torch.zeros(4, dtype=torch.long)),
                       batch_size=8, drop_last=True)
    run = RunConfig(epochs=1, output_dir=str(tmp_path), device="cpu", progress=False, tensorboard=False)
    with pytest.raises(DataError, match="no full batch"):
        fit(TinyNet(), ClassifyTask(), empty, None, optim=OptimConfig(), run=run, class_names=["a", "b", "c"],
            input_spec={}, echo=False)


def test_resume_with_another_model_names_both(tmp_path):
    from argonet.conf.train import OptimConfig, RunConfig
    from argonet.models.registry import get_model
    from argonet.train.distributed import env_info, make_loader
    from argonet.train.engine import fit

    train_toy(tmp_path, run={"epochs": 1})                      # a smallcnn checkpoint
    other = get_model("jetcnn", num_classes=3, in_chans=2)
    loader = make_loader(toy_images(16), 8, train=True, seed=7, info=env_info())
    run = RunConfig(output_dir=str(tmp_path), device="cpu", resume=True, progress=False, tensorboard=False)
    with pytest.raises(ConfigError, match=r"^run.resume: .* holds a smallcnn model; this run builds jetcnn"):
        fit(other, ClassifyTask(), loader, optim=OptimConfig(), run=run, echo=False)


def test_run_json_and_scalars_jsonl_describe_the_run(tmp_path):
    import json

    train_toy(tmp_path, n_train=48, run={"epochs": 2, "log_every_steps": 2})
    state = json.loads((tmp_path / "run.json").read_text())
    assert state["status"] == "completed" and state["stopped"] == "completed" and state["error"] is None
    assert state["class_names"] == ["a", "b", "c"] and state["config"]["run"]["epochs"] == 2
    lines = [json.loads(line) for line in (tmp_path / "scalars.jsonl").read_text().splitlines()]
    val = [r for r in lines if r["prefix"] == "val"]
    assert [r["step"] for r in val] == [6, 12] and all("accuracy" in r and "loss" in r for r in val)
    assert any("lr_head" in r for r in lines if r["prefix"] == "train")


def test_failed_run_says_so_in_run_json(tmp_path):
    import json

    with pytest.raises(NonFiniteLossError):
        train_toy(tmp_path, task=NanAfter(3), val=False)
    state = json.loads((tmp_path / "run.json").read_text())
    assert state["status"] == "failed" and "loss is nan" in state["error"]


def test_a_resumed_run_does_not_log_how_a_fresh_model_was_built(tmp_path):
    from argonet.conf.train import OptimConfig, RunConfig
    from argonet.models.registry import get_model
    from argonet.train.distributed import env_info, make_loader
    from argonet.train.engine import fit

    train_toy(tmp_path, run={"epochs": 1})
    model = get_model("smallcnn", num_classes=3, in_chans=2)
    loader = make_loader(toy_images(16), 8, train=True, seed=7, info=env_info())
    run = RunConfig(epochs=2, output_dir=str(tmp_path), device="cpu", resume=True, progress=False, tensorboard=False)
    fit(model, ClassifyTask(), loader, optim=OptimConfig(), run=run, echo=False,
        build_report="smallcnn: from scratch (random initialisation)")
    log = (tmp_path / "train.log").read_text()
    assert "resumed " in log and "from scratch" not in log.split("resumed ", 1)[1]
