"""Segmentation metrics against values computed by hand on tiny label images."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.errors import DataError
from argonet.eval.segmentation import (class_iou, confusion_per_image, flat_metrics, non_background_accuracy,
                                       pixel_accuracy, plane_metrics, summarise)

# one event, two planes of 2 x 4 pixels (0 background, 1 cosmic, 2 neutrino)
TRUE = np.array([[[[0, 0, 1, 1], [2, 2, 0, 0]],
                  [[0, 1, 1, 1], [0, 0, 0, 0]]]])
PRED = np.array([[[[0, 1, 1, 0], [2, 0, 0, 2]],
                  [[0, 1, 1, 1], [0, 0, 0, 0]]]])
CLASSES = ("background", "cosmic", "neutrino")


def test_confusion_per_image_counts_pixels():
    cm = confusion_per_image(TRUE, PRED, 3)
    assert cm.shape == (1, 2, 3, 3)
    # plane 0: bkg (4 px): 2 right, 1 -> cosmic, 1 -> neutrino; cosmic (2): 1 right, 1 -> bkg; neutrino (2): 1, 1 -> bkg
    assert cm[0, 0].tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]
    assert cm[0, 1].tolist() == [[5, 0, 0], [0, 3, 0], [0, 0, 0]]
    with pytest.raises(DataError, match=r"target labels must lie in \[0, 2\], found 0..3"):
        confusion_per_image(TRUE + (TRUE == 2), PRED, 3)
    with pytest.raises(DataError, match="must both be"):
        confusion_per_image(TRUE[0], PRED[0], 3)


def test_accuracy_non_background_accuracy_and_iou_by_hand():
    cm = confusion_per_image(TRUE, PRED, 3)
    assert pixel_accuracy(cm)[0].tolist() == [4 / 8, 1.0]
    # non-background pixels of plane 0: 2 cosmic + 2 neutrino, of which 1 + 1 right
    assert non_background_accuracy(cm)[0].tolist() == [0.5, 1.0]
    # cosmic, plane 0: intersection 1 (pixel (0,2)); union: true {(0,2),(0,3)} + predicted {(0,1),(0,2)} = 3
    assert class_iou(cm, 1)[0, 0] == pytest.approx(1 / 3)
    # neutrino, plane 0: intersection 1 ((1,0)); union {(1,0),(1,1),(1,3)} = 3
    assert class_iou(cm, 2)[0, 0] == pytest.approx(1 / 3)
    # plane 1 has no neutrino, true or predicted: counts as 1 (CosmicTagger); or as asked
    assert class_iou(cm, 2)[0, 1] == 1.0 and np.isnan(class_iou(cm, 2, empty=np.nan)[0, 1])
    assert np.isnan(non_background_accuracy(np.zeros((1, 1, 3, 3), int))[0, 0])


def test_summary_means_over_events_per_plane_and_over_planes():
    second_true = np.zeros_like(TRUE)
    second_true[0, :, 0, :2] = 1                               # two cosmic pixels per plane
    second_pred = second_true.copy()
    second_pred[0, 0, 0, 0] = 0                                # plane 0 misses one of them
    cm = confusion_per_image(np.concatenate([TRUE, second_true]), np.concatenate([PRED, second_pred]), 3)
    report = summarise(cm, CLASSES, ["U", "Y"])
    assert report["n_events"] == 2
    u = report["planes"]["U"]
    assert u["non_bkg_accuracy"] == pytest.approx((0.5 + 0.5) / 2)
    assert u["cosmic_iou"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert u["neutrino_iou"] == pytest.approx((1 / 3 + 1.0) / 2)
    assert u["accuracy"] == pytest.approx((4 / 8 + 7 / 8) / 2)
    assert u["miou_absent_as_1"] == pytest.approx((u["cosmic_iou"] + u["neutrino_iou"]) / 2)
    # over present classes: event 0 has both (1/3, 1/3), event 1 only cosmic (1/2); the absent neutrino
    # is not counted as 1
    assert u["miou"] == pytest.approx((1 / 3 + 1 / 2) / 2) and u["miou"] < u["miou_absent_as_1"]
    # plane Y holds cosmics only, all found, in both events: 1 both ways
    assert report["planes"]["Y"]["miou"] == report["planes"]["Y"]["miou_absent_as_1"] == 1.0
    assert report["planes"]["Y"]["cosmic_iou"] == 1.0
    assert report["average"]["cosmic_iou"] == pytest.approx((u["cosmic_iou"] + 1.0) / 2)
    # pooled over events: plane U cosmic, TP 1 + 1, FP 1 + 0, FN 1 + 1
    assert report["pooled_iou"]["U"]["cosmic"] == pytest.approx(2 / 5)
    assert report["confusion"]["U"] == (cm[0, 0] + cm[1, 0]).tolist()
    assert report["pixels_per_class"]["Y"] == {"background": 5 + 6, "cosmic": 3 + 2, "neutrino": 0}
    flat = flat_metrics(report)
    assert flat["cosmic_iou"] == report["average"]["cosmic_iou"] and flat["U_neutrino_iou"] == u["neutrino_iou"]
    with pytest.raises(DataError, match="confusion counts"):
        summarise(cm[0], CLASSES)


def test_miou_over_present_classes_skips_images_with_neither_class():
    empty = np.zeros((1, 1, 2, 2), np.int64)                   # background only, predicted as such
    half = empty.copy()
    half[0, 0, 0, :] = 1                                       # two cosmic pixels, one found
    half_pred = half.copy()
    half_pred[0, 0, 0, 0] = 0
    cm = confusion_per_image(np.concatenate([empty, half]), np.concatenate([empty, half_pred]), 3)
    per_image = plane_metrics(cm)
    assert np.isnan(per_image["miou"][0, 0]) and per_image["miou_absent_as_1"][0, 0] == 1.0
    assert per_image["miou"][1, 0] == pytest.approx(0.5) and per_image["miou_absent_as_1"][1, 0] == pytest.approx(0.75)
    report = summarise(cm, CLASSES)
    assert report["average"]["miou"] == pytest.approx(0.5)
    assert report["average"]["miou_absent_as_1"] == pytest.approx((1.0 + 0.75) / 2)
