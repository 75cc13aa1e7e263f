"""Per-pixel segmentation (background / cosmic / neutrino) of the wire planes, for the training engine.

A batch is a SegmentationDataset dict: ``image`` (B, P, H, W) charge and ``label`` (B, P, H, W)
class indices. The model returns logits (B, P, K, H, W). The loss is CosmicTagger's: per plane,
the mean over the plane's pixels of a per-pixel weight times the cross-entropy, summed over the
planes. The weights come from the class balance scheme, computed on each batch's plane (without
gradient):

- ``none``: every pixel weighs 1 (plain mean cross-entropy);
- ``even``: a pixel of class c weighs ``N / (K (n_c + 1))``, with n_c the pixels of class c among
  the N pixels of the batch's plane: each class then contributes the same total weight, and the
  loss is about the mean over classes of each class's mean cross-entropy. CosmicTagger's
  weights are ``1 / (K (n_c + 1))`` (here multiplied by N, a constant that only rescales the loss
  so that it does not shrink with the image size);
- ``light``: background 1, cosmic 1.5, neutrino 10 (CosmicTagger's fixed weights);
- ``focal``: ``(1 - p_true) ** gamma / K``, p_true the softmax probability of the true class
  (CosmicTagger's focal weights, gamma = 2): pixels already classified well count little.

Sparse batches (``coords`` (N, 4) = (event, plane, wire, tick), ``features`` (N, 1), ``label``
(N,), ``shape`` (H, W); see argonet.data.sparse_batches) go to a sparse model (``sparse-uresnet``),
which returns logits (N, K) of the active pixels only: the loss and the confusion counts then run
over the active (non-zero charge) pixels of each plane. A pixel without charge is background by
construction (nothing was deposited there), so it is neither predicted nor counted.

The task's ``output`` for the engine is each image's pixel confusion matrix (B, P, K, K), from
which ``metrics`` computes CosmicTagger's figures per plane and averaged (argonet.eval.segmentation):
a whole validation set then costs a few numbers per event, not its logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from argonet.conf.segment import BALANCES
from argonet.errors import ConfigError, DataError
from argonet.eval.segmentation import flat_metrics, summarise

#: CosmicTagger's ``light`` weights of background, cosmic, neutrino
LIGHT_WEIGHTS = (1.0, 1.5, 10.0)


def balance_weights(labels: Tensor, logits: Tensor | None, scheme: str, num_classes: int,
                    focal_gamma: float = 2.0) -> Tensor | None:
    """Per-pixel weights (shape of ``labels``) of one plane of a batch; None for ``none``.

    ``labels`` (B, H, W) class indices, ``logits`` (B, K, H, W) (needed by ``focal`` only).
    """
    if scheme not in BALANCES:
        raise ConfigError("loss.balance", f"unknown balance scheme {scheme!r}", BALANCES)
    if scheme == "none":
        return None
    with torch.no_grad():
        if scheme == "even":
            counts = torch.bincount(labels.reshape(-1), minlength=num_classes).to(torch.float32)
            per_class = labels.numel() / (num_classes * (counts + 1.0))
            return per_class[labels]
        if scheme == "light":
            if num_classes != len(LIGHT_WEIGHTS):
                raise ConfigError("loss.balance", f"light weights are defined for {len(LIGHT_WEIGHTS)} classes "
                                  f"(background, cosmic, neutrino), not {num_classes}")
            return torch.tensor(LIGHT_WEIGHTS, device=labels.device)[labels]
        if logits is None:
            raise ConfigError("loss.balance", "focal weights need the logits")
        p_true = torch.softmax(logits.float(), dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)
        return (1.0 - p_true).pow(focal_gamma) / num_classes


def segmentation_loss(logits: Tensor, labels: Tensor, scheme: str = "none", focal_gamma: float = 2.0) -> Tensor:
    """Sum over planes of the mean weighted per-pixel cross-entropy; logits (B, P, K, H, W), labels (B, P, H, W)."""
    num_classes = logits.shape[2]
    total = logits.new_zeros((), dtype=torch.float32)
    for p in range(logits.shape[1]):
        plane_logits, plane_labels = logits[:, p].float(), labels[:, p]
        pixel_loss = F.cross_entropy(plane_logits, plane_labels, reduction="none")
        weights = balance_weights(plane_labels, plane_logits, scheme, num_classes, focal_gamma)
        total = total + (pixel_loss.mean() if weights is None else (weights * pixel_loss).mean())
    return total


def sparse_segmentation_loss(logits: Tensor, labels: Tensor, planes: Tensor, n_planes: int, scheme: str = "none",
                             focal_gamma: float = 2.0) -> Tensor:
    """``segmentation_loss`` over active pixels: logits (N, K), labels (N,), the plane of each pixel (N,)."""
    num_classes = logits.shape[1]
    total = logits.float().sum() if len(logits) == 0 else logits.new_zeros((), dtype=torch.float32)  # no pixel: 0
    for p in range(n_planes):
        rows = (planes == p).nonzero()[:, 0]
        if rows.numel() == 0:
            continue
        plane_logits, plane_labels = logits.index_select(0, rows).float(), labels.index_select(0, rows)
        pixel_loss = F.cross_entropy(plane_logits, plane_labels, reduction="none")
        weights = balance_weights(plane_labels, plane_logits, scheme, num_classes, focal_gamma)
        total = total + (pixel_loss.mean() if weights is None else (weights * pixel_loss).mean())
    return total


def sparse_confusion_counts(predicted: Tensor, labels: Tensor, coords: Tensor, batch_size: int, n_planes: int,
                            num_classes: int) -> Tensor:
    """Active-pixel confusion matrix of each image, (B, P, K, K) int64, from per-pixel classes and
    ``coords`` (N, 4) = (event, plane, wire, tick)."""
    image = coords[:, 0] * n_planes + coords[:, 1]
    index = (image * num_classes + labels.long()) * num_classes + predicted.long()
    counts = torch.bincount(index, minlength=batch_size * n_planes * num_classes ** 2)
    return counts.reshape(batch_size, n_planes, num_classes, num_classes)


def sparse_logits(model: nn.Module, batch: dict) -> Tensor:
    """Logits (N, K) of a sparse model on a sparse batch; a batch without any active pixel (empty events,
    data.allow_empty) has none, and the network is not run."""
    if len(batch["coords"]) == 0:
        return batch["features"].new_zeros((0, model.num_classes)).requires_grad_(torch.is_grad_enabled())
    shape = tuple(int(n) for n in batch["shape"].tolist())
    return model(batch["coords"], batch["features"], shape, len(batch["entry"]))


def confusion_counts(predicted: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """Pixel confusion matrix of each image, (B, P, K, K) int64: rows true class, columns predicted."""
    b, p = labels.shape[:2]
    image = torch.arange(b * p, device=labels.device).reshape(b, p, 1, 1) * num_classes ** 2
    index = image + labels.long() * num_classes + predicted.long()
    return torch.bincount(index.reshape(-1), minlength=b * p * num_classes ** 2).reshape(b, p, num_classes, num_classes)


def check_logits(logits: Tensor, image: Tensor, num_classes: int) -> None:
    """ConfigError when the model's output is not (B, P, K, H, W) for a (B, P, H, W) image."""
    expected = (image.shape[0], image.shape[1], num_classes, *image.shape[2:])
    if tuple(logits.shape) != expected:
        raise ConfigError("model.name", f"a segmentation model must return (batch, planes, {num_classes} classes, "
                          f"H, W) = {expected} logits for images of shape {tuple(image.shape)}, "
                          f"got {tuple(logits.shape)}")


class SegmentTask:
    """Weighted per-pixel cross-entropy over ``class_names``; CosmicTagger's metrics on a whole set."""

    def __init__(self, class_names: Sequence[str], balance: str = "light", focal_gamma: float = 2.0,
                 plane_names: Sequence[str] | None = None):
        if len(class_names) < 2:
            raise ConfigError("data.class_names", f"segmentation needs at least 2 classes, got {list(class_names)}")
        if balance not in BALANCES:
            raise ConfigError("loss.balance", f"unknown balance scheme {balance!r}", BALANCES)
        self.class_names, self.balance, self.focal_gamma = list(class_names), balance, focal_gamma
        self.plane_names = None if plane_names is None else list(plane_names)

    def __call__(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        """Loss, per-image confusion counts (B, P, K, K) as ``output``; no per-event ``target``."""
        if isinstance(batch, dict) and "coords" in batch and "label" in batch:
            return self._sparse(model, batch)
        if not isinstance(batch, dict) or "image" not in batch or "label" not in batch:
            raise DataError("segmentation needs batches with 'image' and per-pixel 'label' (a SegmentationDataset)")
        if getattr(model, "sparse_input", False):
            raise ConfigError("data.layout", "a sparse model needs sparse batches (data.layout=sparse)")
        image, labels = batch["image"], batch["label"].long()
        logits = model(image)
        check_logits(logits, image, len(self.class_names))
        loss = segmentation_loss(logits, labels, self.balance, self.focal_gamma)
        counts = confusion_counts(logits.detach().argmax(2), labels, len(self.class_names))
        return {"loss": loss, "output": counts.float()}

    def _sparse(self, model: nn.Module, batch: dict) -> dict[str, Any]:
        """``__call__`` on a sparse batch: loss and confusion counts over the active pixels."""
        if not getattr(model, "sparse_input", False):
            raise ConfigError("data.layout", "sparse batches need a sparse model (model.name=sparse-uresnet)")
        coords, labels, n_planes = batch["coords"], batch["label"].long(), model.in_chans
        logits = sparse_logits(model, batch)
        if tuple(logits.shape) != (len(coords), len(self.class_names)):
            raise ConfigError("model.name", f"a sparse segmentation model must return (pixels, "
                              f"{len(self.class_names)} classes) logits, got {tuple(logits.shape)}")
        loss = sparse_segmentation_loss(logits, labels, coords[:, 1], n_planes, self.balance, self.focal_gamma)
        counts = sparse_confusion_counts(logits.detach().argmax(1), labels, coords, len(batch["entry"]), n_planes,
                                         len(self.class_names))
        return {"loss": loss, "output": counts.float()}

    def report(self, outputs: Tensor) -> dict:
        """The full JSON-ready summary (per plane, averaged, pooled confusion) of stacked confusion counts."""
        counts = outputs.detach().cpu().round().long().numpy()
        return summarise(counts, self.class_names, self.plane_names)

    def metrics(self, outputs: Tensor, targets: Any = None) -> dict[str, float]:
        """Averaged and per-plane accuracy, non-background accuracy, cosmic, neutrino and mean IoU."""
        return flat_metrics(self.report(outputs))


@torch.inference_mode()
def predict_sparse_labels(model: nn.Module, batch: dict, logit_offsets: Tensor | None = None) -> Tensor:
    """Most probable class (N,) uint8 of every active pixel of a sparse batch (``logit_offsets`` as in
    ``predict_labels``)."""
    logits = sparse_logits(model, batch)
    if logit_offsets is not None:
        logits = logits.float() + logit_offsets.to(logits.device).view(1, -1)
    return logits.argmax(1).to(torch.uint8)


@torch.inference_mode()
def predict_batch(model: nn.Module, batch: dict, device: torch.device, logit_offsets: Tensor | None = None,
                  num_classes: int = 3, truth: bool = False) -> tuple[Tensor, Tensor | None]:
    """Predicted classes (B, P, H, W) uint8 of a dense or sparse batch (background where a sparse batch has
    no pixel) and, with ``truth``, the confusion counts (B, P, K, K) on the CPU (active pixels only for
    sparse batches)."""
    if "coords" not in batch:
        predicted = predict_labels(model, batch["image"].to(device), logit_offsets)
        counts = confusion_counts(predicted, batch["label"].to(device), num_classes).cpu() if truth else None
        return predicted, counts
    batch = {k: v.to(device) for k, v in batch.items()}
    rows, coords, n_events = predict_sparse_labels(model, batch, logit_offsets), batch["coords"], len(batch["entry"])
    predicted = torch.zeros((n_events, model.in_chans, *batch["shape"].tolist()), dtype=torch.uint8, device=device)
    predicted[tuple(coords.t())] = rows
    if not truth:
        return predicted, None
    return predicted, sparse_confusion_counts(rows, batch["label"], coords, n_events, model.in_chans,
                                              num_classes).cpu()


@torch.inference_mode()
def predict_labels(model: nn.Module, image: Tensor, logit_offsets: Tensor | None = None) -> Tensor:
    """Most probable class of every pixel, (B, P, H, W) uint8, of a (B, P, H, W) image; ``logit_offsets``
    (K,) are added to the class logits first (a decision threshold)."""
    logits = model(image)
    if logit_offsets is not None:
        logits = logits.float() + logit_offsets.to(logits.device).view(1, 1, -1, 1, 1)
    return logits.argmax(2).to(torch.uint8)
