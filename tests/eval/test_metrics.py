"""Metrics against values computed by hand on tiny cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from argonet.errors import DataError
from argonet.eval import metrics as m

# 3 classes; by hand: true 0 → predicted 0,0,1 ; true 1 → 1,1,1,2 ; true 2 → 0,2
TARGET = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2])
PRED = np.array([0, 0, 1, 1, 1, 1, 2, 0, 2])


def test_confusion_and_rates_by_hand():
    cm = m.confusion_matrix(TARGET, PRED, 3)
    assert cm.tolist() == [[2, 1, 0], [0, 3, 1], [1, 0, 1]]
    assert m.accuracy(cm) == pytest.approx(6 / 9)
    assert m.efficiency(cm) == pytest.approx([2 / 3, 3 / 4, 1 / 2])
    assert m.purity(cm) == pytest.approx([2 / 3, 3 / 4, 1 / 2])
    assert m.row_normalised(cm)[1] == pytest.approx([0, 0.75, 0.25])
    assert m.iou(cm) == pytest.approx([2 / (3 + 3 - 2), 3 / (4 + 4 - 3), 1 / (2 + 2 - 1)])


def test_undefined_rates_are_nan_not_zero():
    cm = m.confusion_matrix([0, 0], [0, 0], 2)
    assert math.isnan(m.efficiency(cm)[1]) and math.isnan(m.purity(cm)[1])
    report = m.classification_report(cm, ["a", "b"])
    assert report["efficiency"]["b"] is None
    json.dumps(report, allow_nan=False)


def test_bad_labels_are_clear():
    with pytest.raises(DataError, match=r"\[0, 2\]"):
        m.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(DataError, match="length"):
        m.confusion_matrix([0, 1], [0], 3)


def test_roc_auc_and_fake_rate_by_hand():
    # scores: signal 0.9, 0.8, 0.4 ; background 0.7, 0.3, 0.2
    sig = np.array([1, 1, 0, 1, 0, 0], bool)
    score = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.2])
    s_eff, b_eff, thr = m.roc_curve(sig, score)
    assert s_eff.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1])
    assert b_eff.tolist() == pytest.approx([0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 1])
    # AUC = P(score_sig > score_bkg) = 8 of 9 pairs
    assert m.auc(s_eff, b_eff) == pytest.approx(8 / 9)
    assert m.background_at_signal_efficiency(s_eff, b_eff, 2 / 3) == pytest.approx(0.0)
    assert m.background_at_signal_efficiency(s_eff, b_eff, 1.0) == pytest.approx(1 / 3)
    assert m.rejection_at_signal_efficiency(s_eff, b_eff, 1.0) == pytest.approx(3.0)


def test_roc_ties_move_together_and_random_scores_give_half():
    s_eff, b_eff, _ = m.roc_curve([1, 0], [0.5, 0.5])
    assert s_eff.tolist() == [0, 1] and b_eff.tolist() == [0, 1]
    rng = np.random.default_rng(0)
    sig = rng.random(20000) < 0.5
    s, b, _ = m.roc_curve(sig, rng.random(20000))
    assert m.auc(s, b) == pytest.approx(0.5, abs=0.02)


def test_roc_needs_both_classes():
    with pytest.raises(DataError, match="signal and background"):
        m.roc_curve([1, 1], [0.2, 0.3])


def test_confusion_roc_and_auc_agree_with_scikit_learn():
    # an independent implementation as a second check of the hand-written ones (tied scores included)
    from sklearn import metrics as sk

    rng = np.random.default_rng(3)
    target, predicted = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    assert np.array_equal(m.confusion_matrix(target, predicted, 4),
                          sk.confusion_matrix(target, predicted, labels=range(4)))
    is_signal = rng.random(400) < 0.3
    score = np.round(rng.random(400) + 0.3 * is_signal, 2)              # rounding makes ties
    sig_eff, bkg_eff, thresholds = m.roc_curve(is_signal, score)
    fpr, tpr, sk_thresholds = sk.roc_curve(is_signal, score, drop_intermediate=False)
    assert np.allclose(sig_eff, tpr, rtol=0, atol=1e-15) and np.allclose(bkg_eff, fpr, rtol=0, atol=1e-15)
    assert np.array_equal(thresholds[1:], sk_thresholds[1:])
    assert m.auc(sig_eff, bkg_eff) == pytest.approx(sk.roc_auc_score(is_signal, score), abs=1e-12)
