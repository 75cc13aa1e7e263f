"""The training-curve picture of a run: ``training_curves.png`` in the run folder, redrawn at each epoch end."""

from __future__ import annotations

import math
import os
from pathlib import Path

from argonet.io.atomic import AtomicPath
from argonet.viz.training import training_curves_png

CURVES_PNG = "training_curves.png"


def curve_series(history: list[dict]) -> tuple[list[int], dict[str, list[float]], dict[str, list[float]]]:
    """(epochs, losses {train, val}, validation metrics {name: values}) from the engine's epoch records.

    Metrics are the numeric ``val_*`` entries; per-part variants (``val_plane0_miou`` beside
    ``val_miou``) are left to train.log and TensorBoard so that the picture stays readable.
    """
    epochs = [int(record["epoch"]) for record in history]
    names = []
    for record in history:
        names += [k for k, v in record.items() if k.startswith("val_") and k != "val_loss" and k not in names
                  and isinstance(v, (int, float)) and not isinstance(v, bool)]

    def column(key: str) -> list[float]:
        return [float(record[key]) if isinstance(record.get(key), (int, float)) else math.nan for record in history]

    # a per-part variant of a metric already drawn (val_plane0_miou beside val_miou) stays in the log only
    names = [n for n in names if not any(n != m and n.endswith("_" + m[4:]) for m in names)]
    losses = {"train": column("train_loss")}
    if any("val_loss" in record for record in history):
        losses["val"] = column("val_loss")
    return epochs, losses, {f"val {name[4:]}": column(name) for name in names}


def write_training_curves(history: list[dict], folder: str | os.PathLike, title: str = "") -> Path:
    """Draw the run's loss and validation metrics per epoch into ``folder/training_curves.png``, atomically."""
    path = Path(folder) / CURVES_PNG
    png = training_curves_png(*curve_series(history), title=title)
    with AtomicPath(path, overwrite=True) as out:
        out.tmp.write_bytes(png)
    return path
