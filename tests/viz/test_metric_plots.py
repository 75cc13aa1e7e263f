"""Classification figures: confusion matrices beside ROC curves of the same models."""

from __future__ import annotations

import numpy as np

from argonet.viz.metrics import plot_confusions_and_roc, plot_roc


def test_confusions_side_by_side_with_one_roc_panel():
    names = ["A", "B", "C"]
    matrices = [np.eye(3, dtype=int) * 5, np.full((3, 3), 2), np.array([[3, 1, 0], [0, 4, 0], [1, 1, 2]])]
    curve = (np.array([0.0, 0.8, 1.0]), np.array([0.0, 0.1, 1.0]))
    fig = plot_confusions_and_roc(matrices, ["one", "two", "three"], names, {"one": curve, "ref": curve},
                                  {"one": 0.9, "ref": 0.95}, "signal A", dashed=["ref"])
    axes = fig.axes
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes[:3]] == ["one: accuracy 1.000", "two: accuracy 0.333",
                                                   "three: accuracy 0.750"]
    roc = axes[3]
    styles = {line.get_label(): line.get_linestyle() for line in roc.get_lines()}
    assert styles == {"one (AUC 0.900)": "-", "ref (AUC 0.950)": "--", "random": "--"}
    assert roc.get_title() == "signal A"
    single = plot_roc({"one": curve}, {"one": 0.9})
    assert [line.get_label() for line in single.axes[0].get_lines()] == ["one (AUC 0.900)", "random"]
