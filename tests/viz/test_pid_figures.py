"""Particle-identification figures: panels, error bars, legends carrying the fake rate."""

from __future__ import annotations

import numpy as np

from argonet.eval.pid import efficiency_vs_energy
from argonet.viz.pid import plot_efficiency_vs_energy, plot_event_gallery, plot_pid_rocs


def test_efficiency_panels_per_class_with_one_series_per_plane():
    labels, predicted = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    result = efficiency_vs_energy(labels, predicted, np.array([10.0, 60.0, 10.0, 60.0]), [0, 50, 100], 2)
    fig = plot_efficiency_vs_energy({"plane 0": result, "combined": result}, ["SINGLE_E", "SINGLE_MU"])
    assert [ax.get_title() for ax in fig.axes] == ["SINGLE_E", "SINGLE_MU"]
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["plane 0", "combined"]


def test_roc_legend_holds_the_fake_rate_at_90():
    curve = (np.array([0.0, 0.9, 1.0]), np.array([0.0, 0.02, 1.0]))
    fig = plot_pid_rocs({"e_vs_gamma": curve, "mu_vs_pi": curve}, {"e_vs_gamma": (0.02, 0.005)})
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["e_vs_gamma: 2.00 ± 0.50 % at 90 %", "mu_vs_pi"]
    assert fig.axes[0].get_yscale() == "log"


def test_gallery_has_a_row_per_event_and_a_column_per_plane():
    images = [np.random.default_rng(0).random((2, 8, 16)) for _ in range(3)]
    fig = plot_event_gallery(images, ["a", "b", "c"], ["U", "Y"])
    assert len(fig.axes) == 6 and fig.axes[2].get_title() == "b | U"
