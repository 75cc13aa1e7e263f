"""Particle-identification figures against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.errors import DataError
from argonet.eval.pid import (class_indices, combine_planes, downsample_table, efficiency_vs_energy,
                              fake_rate_at_efficiency, pair_score, pid_figures, rates_at_threshold,
                              threshold_at_efficiency, worst_misclassified)

# ten signal events scored 0.1 .. 1.0 and four background events
SIGNAL_SCORES = [0.1 * i for i in range(1, 11)]
BACKGROUND_SCORES = [0.05, 0.15, 0.25, 0.95]


def _toy() -> tuple[np.ndarray, np.ndarray]:
    return (np.array([True] * 10 + [False] * 4), np.array(SIGNAL_SCORES + BACKGROUND_SCORES))


def test_pair_score_uses_only_signal_and_background_classes():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.1, 0.8]])
    is_signal, score = pair_score(probs, np.array([0, 1, 2]), 0, [1])
    assert is_signal.tolist() == [True, False]                   # the class-2 event takes no part
    assert score == pytest.approx([0.6 / 0.9, 0.5])
    is_signal, score = pair_score(probs, np.array([0, 1, 2]), 0, [1, 2])
    assert score == pytest.approx([0.6, 0.2, 0.1])
    with pytest.raises(DataError):
        pair_score(probs, np.array([0, 1, 2]), 1, [1])


def test_fake_rate_at_90_percent_by_hand():
    # 9 of 10 signal pass score >= 0.2; background passing it: 0.25 and 0.95, i.e. 2 of 4
    result = fake_rate_at_efficiency(*_toy(), 0.9)
    assert result["fake_rate"] == pytest.approx(0.5)
    assert result["error"] == pytest.approx(math.sqrt(0.5 * 0.5 / 4))
    assert (result["n_signal"], result["n_background"]) == (10, 4)
    # at 50 %: signal 0.6 .. 1.0 pass; background 0.95 passes: 1 of 4
    assert fake_rate_at_efficiency(*_toy(), 0.5)["fake_rate"] == pytest.approx(0.25)


def test_no_background_passing_has_zero_error_and_a_68_percent_limit():
    result = fake_rate_at_efficiency(np.array([True, True, False, False]), np.array([0.9, 0.8, 0.1, 0.2]), 0.9)
    assert result["fake_rate"] == 0.0 and result["error"] == 0.0
    assert result["upper_68"] == pytest.approx(1.1394 / 2, rel=1e-3)


def test_threshold_chosen_on_one_split_applied_to_another():
    t = threshold_at_efficiency(*_toy(), 0.9)
    assert t == pytest.approx(0.2)
    rates = rates_at_threshold(*_toy(), t)
    assert rates["signal_efficiency"] == pytest.approx(0.9) and rates["fake_rate"] == pytest.approx(0.5)
    assert rates["signal_efficiency_error"] == pytest.approx(math.sqrt(0.9 * 0.1 / 10))
    other = rates_at_threshold(np.array([True, True, False]), np.array([0.1, 0.3, 0.25]), t)
    assert other["signal_efficiency"] == 0.5 and other["fake_rate"] == 1.0


def test_pid_figures_pairs_and_chosen_thresholds():
    names = ["SINGLE_E", "SINGLE_GAMMA", "SINGLE_MU", "SINGLE_PI"]
    probs = np.array([[0.7, 0.3, 0, 0], [0.4, 0.6, 0, 0], [0.6, 0.4, 0, 0], [0, 0, 0.8, 0.2], [0, 0, 0.3, 0.7]])
    labels = np.array([0, 1, 0, 2, 3])
    assert class_indices(names) == {"e_vs_gamma": (0, [1]), "e_vs_all": (0, [1, 3]), "mu_vs_pi": (2, [3])}
    figures = pid_figures(probs, labels, names, 0.9, thresholds={"e_vs_gamma": 0.65})
    assert set(figures) == {"e_vs_gamma", "e_vs_all", "mu_vs_pi"}
    assert figures["mu_vs_pi"]["fake_rate"] == 0.0
    assert figures["e_vs_gamma"]["fake_rate"] == 0.0            # gamma at 0.4 below both electrons (0.7, 0.6)
    chosen = figures["e_vs_gamma"]["at_chosen_threshold"]
    assert chosen["signal_efficiency"] == 0.5 and chosen["fake_rate"] == 0.0


def test_efficiency_vs_energy_by_hand():
    labels = np.array([0, 0, 0, 0, 1, 1, 1])
    predicted = np.array([0, 1, 0, 0, 1, 0, 1])
    energy = np.array([50.0, 150.0, 150.0, 999.0, 50.0, 60.0, 150.0])
    out = efficiency_vs_energy(labels, predicted, energy, [0.0, 100.0, 200.0], 2)
    assert out["total"].tolist() == [[1, 2], [2, 1]]           # the 999 MeV event lies outside the edges
    assert out["passed"].tolist() == [[1, 1], [1, 1]]
    assert out["efficiency"].tolist() == [[1.0, 0.5], [0.5, 1.0]]
    assert out["error"][0, 1] == pytest.approx(math.sqrt(0.25 / 2)) and out["error"][0, 0] == 0.0
    empty = efficiency_vs_energy(labels, predicted, energy, [500.0, 600.0], 2)
    assert np.isnan(empty["efficiency"]).all()
    with pytest.raises(DataError):
        efficiency_vs_energy(labels, predicted, energy, [1.0, 1.0], 2)


def test_combined_planes_and_worst_events():
    combined = combine_planes([np.array([[0.5, 0.5], [0.6, 0.4]]), np.array([[0.8, 0.2], [0.6, 0.4]])])
    assert combined[0] == pytest.approx([0.8, 0.2])
    assert combined[1] == pytest.approx([0.36 / 0.52, 0.16 / 0.52])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.45, 0.55], [0.05, 0.95], [0.3, 0.7]])
    labels = np.array([0, 0, 0, 0, 1])
    assert worst_misclassified(probs, labels, 2).tolist() == [3, 1]
    assert worst_misclassified(probs, labels, 10).tolist() == [3, 1, 2]


def test_downsample_table_rows():
    rows = [{"downsample": 1, "pairs": {"e_vs_gamma": {"fake_rate": 0.05, "error": 0.01}}},
            {"downsample": 8, "pairs": {}}]
    table = downsample_table(rows, ["e_vs_gamma"])
    assert table.splitlines() == ["| tick down-sampling | e_vs_gamma |", "|---|---|",
                                  "| 1 | 0.0500 ± 0.0100 |", "| 8 | – |"]
