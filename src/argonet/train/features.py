"""Pre-logit features of a frozen backbone, computed once: head-only training without the backbone.

With the backbone frozen, every epoch would recompute the same features; ``cache_features`` runs
the backbone once (eval mode, no gradients) and returns a TensorDataset of (features, targets).
Training ``FeatureHead(model)`` on it touches only the head, which makes an epoch about as cheap as
a linear model's. The features can be stored in a file keyed by the backbone's weights and a
description of the data, so a second run with the same backbone and data skips even the first pass.
Train-time random augmentation is lost (features are fixed): cache evaluation-style inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import hashlib
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from argonet.errors import ConfigError
from argonet.models.freezing import eval_mode
from argonet.train.checkpoint import atomic_save, state_digest
from argonet.train.distributed import unwrap
from argonet.train.runtime import Precision


def split_batch(batch: Any) -> tuple[Tensor, Tensor]:
    """(images, targets) of a batch: an (x, y, ...) sequence or a dict with 'image' and 'label'."""
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and "image" in batch and "label" in batch:
        return batch["image"], batch["label"]
    raise ConfigError("data", "cannot find images and targets in a batch: expected (images, targets) or a dict "
                      "with 'image' and 'label'; pass split= to cache_features")


def cache_key(model: nn.Module, data_key: str) -> str:
    """Identifies (backbone weights, data): the head is left out, since it does not change the features."""
    classifier = unwrap(model)
    head = getattr(classifier, "classifier_name", None)
    weights = state_digest(classifier.state_dict(), skip_prefixes=(f"{head}.",) if head else ())
    return hashlib.sha256(f"{type(classifier).__name__}\n{weights}\n{data_key}".encode()).hexdigest()[:20]


@torch.no_grad()
def compute_features(model: nn.Module, loader: Iterable[Any], precision: Precision,
                     split: Callable[[Any], tuple[Tensor, Tensor]] = split_batch) -> TensorDataset:
    """One pass of the backbone over ``loader``: pooled (N, num_features) float32 features and targets."""
    classifier = unwrap(model)
    features, targets = [], []
    with eval_mode(classifier):
        for batch in loader:
            images, target = split(batch)
            images = images.to(precision.device, non_blocking=True)
            if precision.channels_last and images.ndim == 4:
                images = images.contiguous(memory_format=torch.channels_last)
            with precision.autocast():
                pooled = classifier.forward_head(classifier.forward_features(images), pre_logits=True)
            features.append(pooled.float().cpu())
            targets.append(target.cpu())
    if not features:
        raise ConfigError("data", "the loader yielded no batches: nothing to cache")
    return TensorDataset(torch.cat(features), torch.cat(targets))


def cache_features(model: nn.Module, loader: Iterable[Any], *, precision: Precision | None = None,
                   cache_dir: str | Path | None = None, data_key: str | None = None,
                   split: Callable[[Any], tuple[Tensor, Tensor]] = split_batch) -> TensorDataset:
    """Features of ``loader`` under ``model``'s backbone, read from ``cache_dir`` when computed before.

    ``data_key`` must describe the data (files, selection, transforms; see ``checkpoint.files_key``):
    the cache file is named by a hash of it and of the backbone's weights.
    """
    precision = precision or Precision(next(unwrap(model).parameters()).device)
    if cache_dir is None:
        return compute_features(model, loader, precision, split)
    if not data_key:
        raise ConfigError("data_key", "a feature cache needs a description of the data (e.g. checkpoint.files_key)")
    key = cache_key(model, data_key)
    path = Path(cache_dir) / f"features-{key}.pt"
    if path.is_file():
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # a damaged cache is recomputed, never trusted
            stored = {}
        if isinstance(stored, dict) and stored.get("key") == key:
            return TensorDataset(stored["features"], stored["targets"])
    dataset = compute_features(model, loader, precision, split)
    features, targets = dataset.tensors
    atomic_save({"key": key, "features": features, "targets": targets}, path)
    return dataset
