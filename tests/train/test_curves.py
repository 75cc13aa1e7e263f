"""The training-curve picture written by the engine in the run folder at each epoch end."""

from __future__ import annotations

import math

import pytest
from train_toys import train_toy

from argonet.train import curves
from argonet.train.curves import CURVES_PNG, curve_series, write_training_curves


def test_series_from_epoch_records():
    history = [{"epoch": 0, "step": 4, "train_loss": 1.0, "val_loss": 0.9, "val_accuracy": 0.5, "val_note": "x"},
               {"epoch": 1, "step": 8, "train_loss": 0.5, "val_loss": 0.7, "val_accuracy": 0.75, "val_iou": 0.3,
                "val_plane0_iou": 0.2}]
    epochs, losses, metrics = curve_series(history)
    assert epochs == [0, 1] and losses == {"train": [1.0, 0.5], "val": [0.9, 0.7]}
    assert metrics["val accuracy"] == [0.5, 0.75] and "val note" not in metrics
    assert sorted(metrics) == ["val accuracy", "val iou"]                 # the per-plane variant is left out
    assert math.isnan(metrics["val iou"][0]) and metrics["val iou"][1] == 0.3
    assert curve_series([{"epoch": 0, "train_loss": 1.0}])[1:] == ({"train": [1.0]}, {})


def test_written_atomically_replacing_the_previous_picture(tmp_path, monkeypatch):
    path = write_training_curves([{"epoch": 0, "train_loss": 1.0}], tmp_path)
    first = path.read_bytes()
    assert path == tmp_path / CURVES_PNG and first.startswith(b"\x89PNG")

    def interrupted(src, dst):
        assert src.read_bytes().startswith(b"\x89PNG") and src.parent == tmp_path      # complete, beside
        raise KeyboardInterrupt

    monkeypatch.setattr(curves.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_training_curves([{"epoch": 0, "train_loss": 1.0}, {"epoch": 1, "train_loss": 0.5}], tmp_path)
    assert path.read_bytes() == first and [p.name for p in tmp_path.iterdir()] == [CURVES_PNG]


def test_fit_draws_the_curves_at_each_epoch_end(tmp_path, monkeypatch):
    drawn = []
    real = curves.training_curves_png

    def spy(epochs, losses, metrics, title=""):
        drawn.append((list(epochs), {k: len(v) for k, v in losses.items()}, sorted(metrics), title))
        return real(epochs, losses, metrics, title)

    monkeypatch.setattr(curves, "training_curves_png", spy)
    _, result = train_toy(tmp_path, n_train=24, model="tiny", run={"epochs": 2})
    assert [d[0] for d in drawn] == [[0], [0, 1]]
    assert drawn[-1][1] == {"train": 2, "val": 2} and drawn[-1][2] == ["val accuracy"]
    assert drawn[-1][3] == f"TinyNet, {tmp_path.name}"
    assert (tmp_path / CURVES_PNG).read_bytes().startswith(b"\x89PNG") and len(result.history) == 2
    assert not list(tmp_path.glob(".*.part"))
