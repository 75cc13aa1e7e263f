"""The training-curve figure: loss and metric series per epoch, the best epoch marked."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.viz.training import plot_training_curves, training_curves_png


def test_loss_and_metric_panels_with_the_best_epoch_marked():
    fig = plot_training_curves([0, 1, 2], {"train": [1.0, 0.6, 0.4], "val": [0.9, 0.5, 0.7]},
                               {"val accuracy": [0.5, 0.8, np.nan]}, "run")
    loss, metric = fig.axes
    lines = {line.get_label(): line for line in loss.get_lines()}
    assert set(lines) == {"train", "val", "lowest val loss (epoch 1)"}
    assert lines["val"].get_ydata().tolist() == [0.9, 0.5, 0.7]
    assert lines["lowest val loss (epoch 1)"].get_xdata()[0] == 1.0
    assert [line.get_label() for line in metric.get_lines()] == ["val accuracy", "lowest val loss (epoch 1)"]
    assert loss.get_ylabel() == "loss" and metric.get_xlabel() == "epoch"


def test_without_validation_one_panel_and_png_bytes():
    fig = plot_training_curves([0, 1], {"train": [1.0, 0.5]}, {})
    assert len(fig.axes) == 1 and [line.get_label() for line in fig.axes[0].get_lines()] == ["train"]
    assert training_curves_png([0], {"train": [1.0]}, {}).startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match="train: 1 values for 2 epochs"):
        plot_training_curves([0, 1], {"train": [1.0]}, {})
