"""Pixel-segmentation metrics of wire-plane images, with SBND CosmicTagger's definitions (pure numpy).

Everything derives from the pixel confusion matrix of each image (one event, one plane):
``cm[..., i, j]`` counts pixels of true class i predicted as j (classes: 0 background, 1 cosmic,
2 neutrino). Per image, as CosmicTagger computes them:

- accuracy: correct pixels / all pixels (dominated by empty pixels, so close to 1);
- non-background accuracy: correct pixels among those whose true label is not background
  (undefined for an image without such pixels, which is then left out of the mean);
- IoU of class c: |pred = c and true = c| / |pred = c or true = c|; an image where c is neither
  present nor predicted counts as 1 (CosmicTagger's convention, so that events without a
  neutrino on a plane do not pull the mean down).
- mIoU, reported both ways: ``miou`` is the mean of the cosmic and neutrino IoU over the classes
  present (true or predicted) in the image, an image with neither being left out; and
  ``miou_absent_as_1`` is CosmicTagger's, where an absent class scores 1. The second is higher
  whenever planes lack a class (a plane without neutrino and a cosmic IoU of 0.5 gives 0.75
  against 0.5), so compare like with like.

With a sparse network (``sparse-uresnet``) the counts cover the active pixels only, those that hold
charge: a pixel without charge is background by construction (nothing was deposited there), is
neither predicted nor counted, and accuracy and the background IoU are then figures over the
charge pixels (not dominated by empty pixels; more than half of the charge pixels of a simulated
SBND readout are still background, i.e. noise); cosmic and neutrino IoU are the same as over all
pixels whenever the dense network predicts no cosmic or neutrino on an empty pixel.

Per-plane figures are means over images; ``average`` is the mean over planes. The pooled
confusion matrix (pixels of all images summed) and its IoU are reported beside them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from argonet.errors import DataError
from argonet.eval.metrics import iou

BACKGROUND, COSMIC, NEUTRINO = 0, 1, 2
METRICS = ("accuracy", "non_bkg_accuracy", "cosmic_iou", "neutrino_iou", "miou", "miou_absent_as_1")


def confusion_per_image(target: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixel counts (N, P, K, K) of each image of (N, P, H, W) label arrays: rows true, columns predicted."""
    target, predicted = np.asarray(target), np.asarray(predicted)
    if target.shape != predicted.shape or target.ndim != 4:
        raise DataError(f"target and prediction must both be (N, P, H, W), got {target.shape} and {predicted.shape}")
    for name, a in (("target", target), ("prediction", predicted)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise DataError(f"{name} labels must lie in [0, {num_classes - 1}], found {a.min()}..{a.max()}")
    n, p = target.shape[:2]
    image = np.arange(n * p, dtype=np.int64).reshape(n, p, 1, 1) * num_classes ** 2
    flat = image + target.astype(np.int64) * num_classes + predicted.astype(np.int64)
    counts = np.bincount(flat.reshape(-1), minlength=n * p * num_classes ** 2)
    return counts.reshape(n, p, num_classes, num_classes)


def _ratio(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    """num / den, ``empty`` where den is 0."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    out = np.full(np.broadcast(num, den).shape, float(empty))
    np.divide(num, den, out=out, where=den > 0)
    return out


def pixel_accuracy(cm: np.ndarray) -> np.ndarray:
    """Per image: correct pixels / all pixels (NaN for an image without pixels)."""
    return _ratio(np.trace(cm, axis1=-2, axis2=-1), cm.sum(axis=(-2, -1)), np.nan)


def non_background_accuracy(cm: np.ndarray, background: int = BACKGROUND) -> np.ndarray:
    """Per image: correct pixels among those whose true class is not ``background`` (NaN when none is)."""
    keep = np.arange(cm.shape[-1]) != background
    correct = np.diagonal(cm, axis1=-2, axis2=-1)[..., keep].sum(-1)
    return _ratio(correct, cm[..., keep, :].sum(axis=(-2, -1)), np.nan)


def class_iou(cm: np.ndarray, c: int, empty: float = 1.0) -> np.ndarray:
    """Per image: intersection over union of class ``c``; ``empty`` where c is neither true nor predicted."""
    tp = cm[..., c, c]
    return _ratio(tp, cm[..., c, :].sum(-1) + cm[..., :, c].sum(-1) - tp, empty)


def _mean(values: np.ndarray) -> float | None:
    """Mean over the finite entries (None when there is none: JSON-ready)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def plane_metrics(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per image (N, P) arrays of the four CosmicTagger metrics and mIoU both ways (see the module notes)."""
    cosmic, neutrino = class_iou(cm, COSMIC), class_iou(cm, NEUTRINO)
    present = np.stack([class_iou(cm, COSMIC, np.nan), class_iou(cm, NEUTRINO, np.nan)])
    counted = np.isfinite(present).sum(0)
    miou = _ratio(np.nansum(present, axis=0), counted, np.nan)
    return {"accuracy": pixel_accuracy(cm), "non_bkg_accuracy": non_background_accuracy(cm),
            "cosmic_iou": cosmic, "neutrino_iou": neutrino, "miou": miou, "miou_absent_as_1": 0.5 * (cosmic + neutrino)}


def summarise(cm: np.ndarray, class_names: Sequence[str], plane_names: Sequence[str] | None = None) -> dict:
    """JSON-ready report of (N, P, K, K) per-image confusion counts: per plane, averaged, pooled."""
    cm = np.asarray(cm)
    if cm.ndim != 4 or cm.shape[-1] != cm.shape[-2] or cm.shape[-1] != len(class_names):
        k = len(class_names)
        raise DataError(f"expected (N, planes, {k}, {k}) confusion counts, got {cm.shape}")
    names = list(plane_names or [f"plane{p}" for p in range(cm.shape[1])])
    per_image = plane_metrics(cm)
    planes = {name: {m: _mean(per_image[m][:, p]) for m in METRICS} for p, name in enumerate(names)}
    average = {m: (None if any(planes[n][m] is None for n in names) else float(np.mean([planes[n][m] for n in names])))
               for m in METRICS}
    pooled = cm.sum(axis=0)
    return {
        "n_events": int(cm.shape[0]), "class_names": list(class_names), "planes": planes, "average": average,
        "pixels_per_class": {name: {c: int(pooled[p, k].sum()) for k, c in enumerate(class_names)}
                             for p, name in enumerate(names)},
        "confusion": {name: pooled[p].astype(int).tolist() for p, name in enumerate(names)},
        "pooled_iou": {name: {c: _mean(np.array([v])) for c, v in zip(class_names, iou(pooled[p]))}
                       for p, name in enumerate(names)},
    }


def flat_metrics(report: dict) -> dict[str, float]:
    """The averaged and per-plane figures of ``summarise`` as one flat {name: value} dict (NaN for None)."""
    out = {m: np.nan if v is None else v for m, v in report["average"].items()}
    for plane, values in report["planes"].items():
        out.update({f"{plane}_{m}": np.nan if v is None else v for m, v in values.items()})
    return out
