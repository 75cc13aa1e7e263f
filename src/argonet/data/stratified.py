"""Class-stratified splits: the same number of events of every class, fixed by a seed.

Used where a small labelled sample is cut in two (e.g. 100 real events per class to adapt a
model to, the rest to test it on): every class is equally represented in the picked part, the
two parts are disjoint, and the same seed gives the same parts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from argonet.errors import ConfigError, DataError


def stratified_split(labels: Sequence[int] | np.ndarray, per_class: int, seed: int, n_classes: int | None = None,
                     class_names: Sequence[str] | None = None,
                     what: str = "per_class") -> tuple[np.ndarray, np.ndarray]:
    """(picked, rest): ``per_class`` entries of every class drawn at random (seeded), and all the others.

    ``labels`` are class indices per entry; both outputs are sorted entry indices. Every class of
    ``range(n_classes)`` (default: up to the largest label) must have more than ``per_class``
    entries, so that the rest holds each class too; DataError otherwise, naming the class.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0)):
        raise DataError(f"{what}: labels must be a 1-d array of class indices >= 0")
    if per_class < 1:
        raise ConfigError(what, f"must be >= 1 (got {per_class})")
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    if n_classes < 1:
        raise DataError(f"{what}: no labelled events to split")
    if labels.size and labels.max() >= n_classes:
        raise DataError(f"{what}: label {int(labels.max())} is not one of the {n_classes} classes")
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    if len(names) != n_classes:
        raise ConfigError(what, f"{len(names)} class names for {n_classes} classes")
    counts = np.bincount(labels, minlength=n_classes)
    short = [k for k in range(n_classes) if counts[k] <= per_class]
    if short:
        raise DataError(f"{what}={per_class}: class {names[short[0]]} has {int(counts[short[0]])} events; a "
                        f"stratified split needs more than {per_class} of every class (counts "
                        f"{dict(zip(names, counts.tolist()))})")
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.permutation(np.flatnonzero(labels == k))[:per_class] for k in range(n_classes)])
    mask = np.zeros(labels.size, bool)
    mask[picked] = True
    return np.flatnonzero(mask), np.flatnonzero(~mask)
