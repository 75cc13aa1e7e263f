"""The official DUNE CVN's published figures, and the same figures computed for argonet's predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.eval.cvn_reference import (OFFICIAL_CVN, nue_auc_without_nutau, read_reference_scores, reference_roc,
                                        three_flavour_view)

REFERENCE = Path(__file__).parents[2].parent / "shared" / "data" / "dune_cvn" / "reference_outputs"
CLASSES = ["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"]


def test_reference_scores_give_the_published_auc():
    if not REFERENCE.is_dir():
        pytest.fail(f"shared data missing: {REFERENCE} (the tests read ../shared relative to the repository)")
    scores = read_reference_scores(REFERENCE)
    assert {k: len(v) for k, v in scores.items()} == {"NUE_CC": 100, "NUMU_CC": 100, "NC": 100}
    signal_eff, background_eff, auc = reference_roc(scores)
    assert auc == pytest.approx(0.991, abs=5e-4)                # README: nue-vs-(numu+NC) AUC 0.991
    assert signal_eff[-1] == background_eff[-1] == 1.0
    stored = np.load(REFERENCE / "confusion_mat.npy")
    assert stored.tolist() == OFFICIAL_CVN["confusion"]
    assert OFFICIAL_CVN["diagonal"] == {"NUMU_CC": 0.93, "NUE_CC": 0.89, "NC": 0.90}


def test_unreadable_reference_scores_name_the_file(tmp_path):
    (tmp_path / "sig_scores.npy").write_bytes(b"not numpy")
    with pytest.raises(FormatError, match=r"^file .*sig_scores.npy: cannot read the reference scores"):
        read_reference_scores(tmp_path)


def test_three_flavour_view_drops_nutau_as_the_reference_does():
    # rows true NUMU, NUE, NUTAU, NC; columns predicted in the same order
    confusion = [[8, 0, 1, 1],
                 [1, 6, 3, 0],
                 [0, 4, 5, 1],
                 [2, 0, 0, 8]]
    view = three_flavour_view(confusion, CLASSES)
    assert view["confusion"] == [[8, 0, 1], [1, 6, 0], [2, 0, 8]]
    assert view["events"] == [10, 10, 10] and view["dropped_as_nutau"] == [1, 3, 0]
    assert view["diagonal"] == {"NUMU_CC": 0.8, "NUE_CC": 0.6, "NC": 0.8}
    assert view["diagonal_of_kept"] == pytest.approx({"NUMU_CC": 8 / 9, "NUE_CC": 6 / 7, "NC": 0.8})
    ref = three_flavour_view([[93, 1, 1, 5], [1, 89, 6, 4], [0, 0, 0, 0], [4, 5, 1, 90]], CLASSES)
    assert ref["confusion"] == OFFICIAL_CVN["confusion"]
    assert ref["diagonal"] == OFFICIAL_CVN["diagonal"]


def test_nue_auc_leaves_true_nutau_out():
    labels = np.array([1, 1, 0, 3, 2, 2])
    probs = np.zeros((6, 4))
    probs[:, 1] = [0.9, 0.6, 0.7, 0.1, 0.95, 0.99]   # nutau scored highest: would lower a one-vs-rest AUC
    # nue {0.9, 0.6} against numu/NC {0.7, 0.1}: 3 of 4 pairs ordered right
    assert nue_auc_without_nutau(probs, labels, CLASSES) == pytest.approx(0.75)
    assert nue_auc_without_nutau(probs[:2], labels[:2], CLASSES) is None
