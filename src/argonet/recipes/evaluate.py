"""``argonet evaluate``: a trained classifier on a data split → accuracy, confusion matrix, efficiency, purity.

    argonet evaluate checkpoint=runs/train/best.pt data.file=events.h5

Data options left at their defaults take the checkpoint's (planes, crop, normalisation, split,
seed), so ``split=test`` is the training run's held-out test split. Writes ``metrics.json``,
``confusion.png``, ``roc.png`` and ``predictions.csv`` (one row per event) to ``output_dir``.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from argonet import __version__
from argonet.conf.classify import EvaluateConfig
from argonet.conf.compose import echo
from argonet.conf.data import DataConfig
from argonet.data.datasets import ClassificationDataset
from argonet.data.loader import build_dataset, build_loader, split_entries
from argonet.errors import ConfigError
from argonet.eval.jets import format_jet_tagging, jet_tagging
from argonet.models.checkpoint import CheckpointMismatch
from argonet.recipes.exported import exported_runner, read_model_file
from argonet.tasks.classify import predict, summarise
from argonet.train.checkpoint import from_checkpoint
from argonet.train.runtime import resolve_device
from argonet.viz.metrics import plot_confusion, plot_roc, save_figure


def data_config(given: DataConfig, stored: dict[str, Any] | None) -> DataConfig:
    """``given`` with every field still at its default replaced by the checkpoint's value."""
    if not stored:
        return given
    values = {}
    for f in fields(DataConfig):
        default = f.default_factory() if callable(f.default_factory) else f.default
        value = getattr(given, f.name)
        values[f.name] = stored[f.name] if value == default and f.name in stored and f.name != "file" else value
    values["augment"] = []
    return DataConfig(**values)


def align_classes(dataset: ClassificationDataset, trained: list[str] | None) -> None:
    """Index the dataset's labels as the checkpoint's classes when its classes are among them."""
    if not trained or dataset.class_names == trained or not set(dataset.class_names) <= set(trained):
        return
    index = np.array([trained.index(name) for name in dataset.class_names], dtype=np.int64)
    dataset.targets = index[dataset.targets]
    dataset.class_names = list(trained)


def load_classifier(state: dict[str, Any], dataset: ClassificationDataset, path: str) -> nn.Module:
    """The checkpoint's model with the dataset's widths; a checkpoint that does not fit says what differs."""
    trained = state.get("class_names")
    try:
        model, _ = from_checkpoint(state, num_classes=len(dataset.class_names), in_chans=dataset.in_channels)
    except CheckpointMismatch as err:
        raise ConfigError("checkpoint", f"{path} does not fit the data: {str(err).split('; ')[0]} "
                          f"(checkpoint classes {trained}, data classes {dataset.class_names})") from None
    if trained and list(trained) != dataset.class_names:
        raise ConfigError("data.class_names", f"{path} was trained on classes {list(trained)}, the data has "
                          f"{dataset.class_names}")
    return model


def write_results(report: dict[str, Any], out_dir: Path, title: str, stem: str = "") -> dict[str, Path]:
    """``<stem>metrics.json``, ``<stem>confusion.png`` and (with any ROC curve) ``<stem>roc.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / f"{stem}metrics.json", "confusion": out_dir / f"{stem}confusion.png"}
    paths["json"].write_text(json.dumps(report, indent=1, allow_nan=False))
    save_figure(plot_confusion(np.array(report["confusion"]), report["class_names"], title), str(paths["confusion"]))
    if report["roc"]:
        curves = {c: (np.array(r["signal_efficiency"]), np.array(r["background_efficiency"]))
                  for c, r in report["roc"].items()}
        paths["roc"] = out_dir / f"{stem}roc.png"
        save_figure(plot_roc(curves, report["auc"], f"{title}: one class against the rest"), str(paths["roc"]))
    return paths


def format_report(report: dict[str, Any]) -> str:
    """A few printed lines: accuracy, then efficiency and purity per class."""
    lines = [f"accuracy {report['accuracy']:.4f} on {report['n_events']} events"]
    for name in report["class_names"]:
        eff, pur = report["efficiency"][name], report["purity"][name]
        lines.append(f"  {name:>10}: efficiency {'n/a' if eff is None else f'{eff:.3f}'}, "
                     f"purity {'n/a' if pur is None else f'{pur:.3f}'}")
    return "\n".join(lines)


def evaluate(cfg: EvaluateConfig) -> dict[str, Any]:
    """Evaluate the checkpoint on the chosen split; returns the report written to ``metrics.json``."""
    echo("evaluate", cfg)
    state = read_model_file(cfg.require_checkpoint())    # a checkpoint, or an exported ONNX / TorchScript file
    if "model" not in state and "runner" not in state:
        raise ConfigError("checkpoint", f"{cfg.checkpoint} holds no model state")
    if (state.get("config") or {}).get("task") == "segment":
        raise ConfigError("checkpoint", f"{cfg.checkpoint} is a segmentation checkpoint (task=segment); evaluate "
                          "takes a classifier: run argonet inference on it for segmentation metrics")
    data = data_config(cfg.data, (state.get("config") or {}).get("data"))
    dataset = build_dataset("classification", replace(data, augment=[]))   # any data.format
    align_classes(dataset, state.get("class_names"))
    model = (exported_runner(state, cfg.checkpoint, "classify", dataset.class_names) if "runner" in state
             else load_classifier(state, dataset, cfg.checkpoint))
    device = resolve_device(cfg.device)
    entries = (np.arange(len(dataset)) if cfg.split == "all"
               else split_entries(len(dataset), data.split, data.seed, data.split_block)[cfg.split])
    if len(entries) == 0:
        raise ConfigError("split", f"the {cfg.split} split of {len(dataset)} events with fractions {data.split} "
                          "is empty; use split=all or more events")
    loader = build_loader(dataset, data, entries, train=False, batch_size=cfg.batch_size, rank=0, world_size=1)
    report = evaluate_loader(model, loader, dataset.class_names, device, entries, Path(cfg.output_dir))
    report.update({"argonet_version": __version__, "checkpoint": str(cfg.checkpoint), "files": data.paths(),
                   "split": cfg.split, "split_fractions": list(data.split), "seed": data.seed,
                   "config": {"command": "evaluate", **asdict(replace(cfg, data=data))}})   # data as resolved
    paths = write_results(report, Path(cfg.output_dir), f"{cfg.split} split")
    print(format_report(report))
    if "jet_tagging" in report:             # jet classes: top and W against QCD
        print(format_jet_tagging(report["jet_tagging"]))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return report


def write_predictions(path: Path, entries: np.ndarray, probs: np.ndarray, labels: np.ndarray,
                      class_names: list[str]) -> Path:
    """One CSV row per event (entry, true and predicted class, class probabilities): where to find the
    mis-classified events to look at with ``argonet display FILE event=ENTRY``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join(["entry", "true", "predicted", *(f"p_{c}" for c in class_names)])
    rows = [f"{e},{class_names[t]},{class_names[p]}," + ",".join(f"{x:.5f}" for x in row)
            for e, t, p, row in zip(entries.tolist(), labels.tolist(), probs.argmax(1).tolist(), probs)]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def evaluate_loader(model: nn.Module, loader: Any, class_names: list[str], device: torch.device,
                    entries: np.ndarray | None = None, out_dir: Path | None = None) -> dict[str, Any]:
    """The summary of ``model`` over a loader that keeps the order of ``entries``; with both ``entries``
    and ``out_dir`` also ``out_dir/predictions.csv`` (used by ``evaluate`` and the transfer recipe)."""
    probs, labels = predict(model.to(device), loader, device)
    if entries is not None and out_dir is not None:
        if len(entries) != len(labels):
            raise ConfigError("split", f"{len(labels)} predictions for {len(entries)} entries")
        write_predictions(out_dir / "predictions.csv", np.asarray(entries), probs, labels, class_names)
    return {**summarise(probs, labels, class_names), **jet_tagging(probs, labels, class_names)}
