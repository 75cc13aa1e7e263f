"""Jet-sample figures: one panel per mass definition or feature, one image per class."""

from __future__ import annotations

import numpy as np

from argonet.viz.jets import plot_features_by_class, plot_mass_by_class, plot_mean_images
from argonet.viz.metrics import save_figure


def test_figures_have_their_panels(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 3
    names = ["gluon", "top", "W"]
    fig = plot_mass_by_class({"jet mass": rng.uniform(0, 300, 60), "soft-drop mass": rng.uniform(0, 300, 60)},
                             labels, names, title="test")
    assert len(fig.axes) == 2 and [len(ax.patches) for ax in fig.axes] == [3, 3]
    assert sum("W 80.4" in t.get_text() for t in fig.axes[0].texts) == 1
    save_figure(fig, str(tmp_path / "mass.png"))
    fig = plot_features_by_class({n: (rng.random(60), (0, 1)) for n in ("a", "b", "c", "d")}, labels, names)
    assert sum(ax.axison for ax in fig.axes) == 4
    save_figure(fig, str(tmp_path / "features.png"))
    images = rng.random((60, 20, 20))
    fig = plot_mean_images(images, labels, names)
    assert len(fig.axes) == 4                                     # three classes and the colour bar
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), images[labels == 1].mean(axis=0))
    save_figure(fig, str(tmp_path / "images.png"))
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("mass.png", "features.png", "images.png"))
