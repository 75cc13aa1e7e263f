"""Top and W tagging against QCD from multi-class probabilities: rejection at 50 % signal efficiency."""

from __future__ import annotations

import json

import numpy as np
import pytest

from argonet.errors import DataError
from argonet.eval.jets import binary_tagging, format_jet_tagging, jet_classes, jet_tagging

NAMES = ["gluon", "light_quark", "top", "W", "Z"]


def probabilities(rows: list[tuple[int, float, int]]) -> tuple[np.ndarray, np.ndarray]:
    """One jet per (true class, p of the class put first, class holding the rest)."""
    probs = np.zeros((len(rows), 5))
    labels = np.zeros(len(rows), np.int64)
    for i, (label, p, rest) in enumerate(rows):
        labels[i] = label
        probs[i, 2] = p                      # p_top
        probs[i, rest] += 1 - p
    return probs, labels


def test_rejection_at_half_the_signal_counts_the_background_above_the_cut():
    # top scores 0.9 0.8 0.3 0.2; QCD scores 0.85 0.1 0.05 0.01 -> cutting at 0.8 keeps 2/4 tops and 1/4 QCD
    probs, labels = probabilities([(2, 0.9, 0), (2, 0.8, 1), (2, 0.3, 0), (2, 0.2, 0),
                                   (0, 0.85, 0), (1, 0.1, 1), (0, 0.05, 0), (1, 0.01, 0), (3, 0.99, 3)])
    result = binary_tagging(probs, labels, signal=2, backgrounds=[0, 1])
    assert result["background_efficiency"] == pytest.approx(0.25) and result["rejection"] == pytest.approx(4.0)
    assert result["n_signal"] == 4 and result["n_background"] == 4       # the W jet is not counted
    assert result["auc"] == pytest.approx(13 / 16)                      # pairs ranked right: 13 of 16
    perfect = binary_tagging(*probabilities([(2, 0.9, 0), (2, 0.8, 0), (0, 0.1, 0), (1, 0.2, 1)]), 2, [0, 1])
    assert perfect["rejection"] is None and perfect["auc"] == 1.0
    json.dumps(perfect, allow_nan=False)                                # the report stays valid JSON


def test_discriminant_is_the_probability_ratio_among_signal_and_background():
    # p_t = 0.2, p_g = 0.1, the rest in Z: p_t / (p_t + p_g + p_q) = 2/3 beats a jet with p_t = 0.5, p_g = 0.5
    probs = np.array([[0.1, 0.0, 0.2, 0.0, 0.7], [0.5, 0.0, 0.5, 0.0, 0.0], [0.6, 0.0, 0.4, 0.0, 0.0]])
    result = binary_tagging(probs, np.array([2, 2, 0]), 2, [0, 1], signal_efficiency=0.5)
    assert result["rejection"] is None and result["auc"] == 1.0


def test_report_for_jet_classes_only():
    assert jet_classes(NAMES) == {"g": 0, "q": 1, "t": 2, "w": 3, "z": 4}
    assert jet_classes(["g", "q", "t", "w", "z"]) == {"g": 0, "q": 1, "t": 2, "w": 3, "z": 4}
    assert jet_classes(["gluon", "light_quark", "W", "Z", "top"])["t"] == 4       # hls4ml order
    rng = np.random.default_rng(0)
    labels = np.arange(50) % 5
    probs = rng.dirichlet(np.ones(5), 50)
    report = jet_tagging(probs, labels, NAMES)
    assert set(report["jet_tagging"]) == {"t_vs_qcd", "w_vs_qcd"}
    assert "t_vs_qcd: background rejection" in format_jet_tagging(report["jet_tagging"])
    assert jet_tagging(probs, labels, ["CCQE", "CCRES", "NCQE", "NCRES", "NC"]) == {}
    assert set(jet_tagging(probs, np.where(labels == 3, 0, labels), NAMES)["jet_tagging"]) == {"t_vs_qcd"}
    with pytest.raises(DataError, match="tagging needs jets of the signal class"):
        binary_tagging(probs, np.zeros(50, np.int64), 2, [0, 1])
