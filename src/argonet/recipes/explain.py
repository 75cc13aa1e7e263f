"""Inside the black box: which input pixels drive a network's output for one event (captum).

``argonet explain`` rebuilds the model from its checkpoint (``argonet.recipes.export.model_from_checkpoint``),
reads the event exactly as training did (the checkpoint's data options) and attributes the
output to the input pixels:

* ``integrated_gradients``: the path integral of the gradient from an empty detector (all-zero
  input) to the event; the attributions sum to the output difference (completeness).
* ``saliency``: |d output / d input| at the event.
* ``occlusion``: the output drop when a ``window`` x ``window`` patch of one plane is emptied.

A classifier is explained for its predicted and its true class; a segmentation network for the
mean logit over one pixel or box (``target``) of the class predicted and the true class of most of
its labelled (non-background) pixels. The figure
has one row per plane: charge, truth labels, and the attributions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from argonet.conf.data import DataConfig
from argonet.conf.explain import ExplainConfig
from argonet.data.datasets import SegmentationDataset
from argonet.data.loader import build_dataset
from argonet.errors import ConfigError, DataError
from argonet.io import AtomicPath
from argonet.recipes.evaluate import data_config
from argonet.recipes.export import TrainedModel, model_from_checkpoint
from argonet.viz.display import PLANE_NAMES
from argonet.viz.explain import plot_attribution

import matplotlib.pyplot as plt  # noqa: E402  (backend set by argonet.viz)


def load_explained(cfg: ExplainConfig) -> tuple[TrainedModel, DataConfig, Any]:
    """(model from the checkpoint, data options, dataset of the task) for ``cfg``."""
    trained = model_from_checkpoint(cfg.require_checkpoint())
    data = data_config(cfg.data, trained.data)
    dataset = build_dataset("segmentation" if trained.task == "segment" else "classification", data)
    if trained.task == "classify" and list(dataset.class_names) != trained.class_names:
        raise ConfigError("data.class_names", f"{cfg.checkpoint} was trained on classes {trained.class_names}, "
                          f"the data has {list(dataset.class_names)}")
    return trained, data, dataset


class TopologyLabels(SegmentationDataset):
    """Per-pixel labels with their stored values (e.g. track, shower, Michel), cut and down-sampled
    exactly as the charge of the same data options (the highest value wins in a block)."""

    def _canonical(self, block, where) -> np.ndarray:
        return np.asarray(block.value, dtype=np.int64)


def truth_images(data: DataConfig, producer: str, entry: int) -> tuple[list[np.ndarray] | None, str]:
    """(per-plane truth labels at the model's pixels, label kind): the ``producer`` topology labels when
    the file has them, else the semantic labels ``data.labels``, else None (e.g. jet files)."""
    if data.format != "larcv3":
        return None, ""
    for name, kind in ((producer, "kind"), (data.labels, "semantic")):
        try:
            if kind == "kind":
                labels = TopologyLabels.from_config(data, labels=name)
            else:
                labels = SegmentationDataset.from_config(data)
        except (ConfigError, DataError, ValueError):
            continue
        return [np.asarray(p) for p in labels.read_batch([entry])["label"][0].numpy()], kind
    return None, ""


class RegionScore(nn.Module):
    """A segmentation network seen as a classifier of one region: the mean logit of every class over
    ``box`` (plane, wire0, tick0, wire1, tick1) of its (B, P, K, H, W) output → (B, K)."""

    def __init__(self, model: nn.Module, box: tuple[int, int, int, int, int]):
        super().__init__()
        self.model, self.box = model, box

    def forward(self, x: Tensor) -> Tensor:
        p, w0, t0, w1, t1 = self.box
        return self.model(x)[:, p, :, w0:w1, t0:t1].mean((2, 3))


def attribute(model: nn.Module, x: Tensor, target: int, method: str, *, steps: int = 64, window: int = 4,
              stride: int = 2) -> np.ndarray:
    """Attribution of output ``target`` of ``model`` to every element of ``x`` (1, ...), same shape."""
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    x = x.detach().clone().requires_grad_(True)
    if method == "integrated_gradients":
        result = IntegratedGradients(model).attribute(x, baselines=torch.zeros_like(x), target=target,
                                                      n_steps=steps, internal_batch_size=min(steps, 16))
    elif method == "saliency":
        result = Saliency(model).attribute(x, target=target, abs=True)
    elif method == "occlusion":
        shape = (1, window, window) if x.ndim == 4 else (window,)
        strides = (1, stride, stride) if x.ndim == 4 else (stride,)
        result = Occlusion(model).attribute(x, sliding_window_shapes=shape, strides=strides, baselines=0.0,
                                            target=target)
    else:
        raise ConfigError("method", f"unknown method {method!r}")
    return result.detach()[0].numpy()


def target_box(cfg: ExplainConfig, image: Tensor) -> tuple[int, int, int, int, int]:
    """The explained region of a segmentation output: ``target.box``, ``target.pixel``, or by default
    the pixel of highest charge on the last plane."""
    planes, wires, ticks = image.shape
    if cfg.target.box is not None:
        box = tuple(cfg.target.box)
    elif cfg.target.pixel is not None:
        p, w, t = cfg.target.pixel
        box = (p, w, t, w + 1, t + 1)
    else:
        w, t = np.unravel_index(int(image[-1].argmax()), (wires, ticks))
        box = (planes - 1, int(w), int(t), int(w) + 1, int(t) + 1)
    if box[0] >= planes or box[3] > wires or box[4] > ticks:
        raise ConfigError("target", f"{list(box)} lies outside the model input of {planes} planes x {wires} wires "
                          f"x {ticks} ticks")
    return box  # type: ignore[return-value]


@dataclass
class Explanation:
    """What ``explain_event`` drew: the figure path, the classes explained and the attributions."""

    path: Path
    event: int
    predicted: str
    true: str | None
    attributions: dict[str, np.ndarray]
    output_difference: dict[str, float]


def _majority(values: np.ndarray) -> int:
    """The most frequent integer of ``values``."""
    return int(np.bincount(values.reshape(-1).astype(np.int64)).argmax())


def save_figure(fig, path: Path) -> Path:
    """PNG written under a temporary name, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with AtomicPath(path, overwrite=True) as out:
            fig.savefig(out.tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
        return out.path
    finally:
        plt.close(fig)


def explain_event(cfg: ExplainConfig) -> Explanation:
    """Attributions of event ``cfg.event`` for the predicted and the true class, drawn per plane."""
    trained, data, dataset = load_explained(cfg)
    if cfg.event >= len(dataset):
        raise ConfigError("event", f"{cfg.event} is past the end ({len(dataset)} events)")
    item = dataset[cfg.event]
    image = torch.as_tensor(item["image"]).float()
    if image.ndim != 3:
        raise ConfigError("checkpoint", f"{trained.name} takes features, not images; explain draws image models")
    model, x, box = trained.model, image[None], None
    with torch.no_grad():
        output = model(x)
    if trained.task == "segment":
        box = target_box(cfg, image)
        model = RegionScore(trained.model, box)
        region = (slice(box[1], box[3]), slice(box[2], box[4]))
        labels = np.asarray(item["label"])[box[0]][region]
        keep = labels > 0 if (labels > 0).any() else np.ones_like(labels, dtype=bool)   # the labelled pixels
        predicted = _majority(output[0, box[0]].argmax(0)[region].numpy()[keep])
        true: int | None = _majority(labels[keep])
        output = model(x).detach()
    else:
        predicted, true = int(output.argmax(1)), int(item["label"])
    names = trained.class_names
    targets = {f"predicted {names[predicted]}": predicted}
    if true is not None and true != predicted:
        targets[f"true {names[true]}"] = true
    attributions, differences = {}, {}
    for title, k in targets.items():
        attributions[title] = attribute(model, x, k, cfg.method, steps=cfg.steps, window=cfg.window,
                                        stride=cfg.stride)
        with torch.no_grad():
            differences[title] = float(output[0, k] - model(torch.zeros_like(x))[0, k])
    probs = torch.softmax(output[0].float(), 0)
    columns = [(f"{cfg.method}: {t} ({probs[k]:.2f})" + (" = true" if k == true == predicted else ""), list(a))
               for (t, k), a in zip(targets.items(), attributions.values())]
    truth, kind = ((list(np.asarray(item["label"])), "semantic") if trained.task == "segment"
                   else truth_images(data, cfg.truth, cfg.event))
    n = image.shape[0]
    planes = list(PLANE_NAMES) if n == 3 else [f"plane {p}" for p in range(n)]
    where = f", region {list(box)}" if box else ""
    title = (f"{Path(data.paths()[0]).name} event {cfg.event}: {trained.name} predicts {names[predicted]}"
             f"{'' if true is None else f', truth {names[true]}'}{where}")
    fig = plot_attribution(list(image.numpy()), columns, truth, kind or "kind", title, planes, box)
    path = save_figure(fig, Path(cfg.output_dir) / f"event{cfg.event}_{cfg.method}.png")
    return Explanation(path, cfg.event, names[predicted], None if true is None else names[true], attributions,
                       differences)
