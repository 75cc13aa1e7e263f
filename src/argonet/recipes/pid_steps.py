"""Steps of the particle-identification study: train one model on the seeded split, predict a split, mine the
misclassified training events, summarise the pairwise fake rates. Used by recipes/pid.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from argonet.conf.data import DataConfig
from argonet.conf.pid import PidStudyConfig
from argonet.data.energy import EnergyDataset
from argonet.data.loader import build_loader, build_loaders, split_entries
from argonet.errors import DataError
from argonet.eval.pid import PID_PAIRS, pid_figures
from argonet.tasks.classify import ClassifyTask, predict
from argonet.tasks.regress import RegressTask, predict_energy
from argonet.tasks.weighted import WeightedClassifyTask, mining_weights
from argonet.train.engine import fit
from argonet.train.model_setup import build_model
from argonet.train.runtime import resolve_device, seed_everything

HEADLINE_PAIRS = ("e_vs_gamma", "e_vs_all", "mu_vs_pi")


@dataclass
class Trained:
    """A trained model and what it was trained on."""

    model: nn.Module
    dataset: EnergyDataset
    data: DataConfig
    label: str


def data_for(cfg: PidStudyConfig, tick_factor: int, planes: list[int] | None = None,
             normalise: str | None = None) -> DataConfig:
    """The study's data config at one tick down-sampling factor (and optionally a subset of planes)."""
    return replace(cfg.data, downsample=[cfg.wire_downsample, tick_factor],
                   planes=planes if planes is not None else cfg.data.planes,
                   normalise=normalise or cfg.data.normalise, batch_size=cfg.run.batch_size, augment=[])


def splits(dataset: EnergyDataset, data: DataConfig) -> dict[str, np.ndarray]:
    """The seeded train/val/test entries (the same for every model of the study)."""
    return split_entries(len(dataset), data.split, data.seed, data.split_block)


def train(cfg: PidStudyConfig, data: DataConfig, label: str, *, weights: np.ndarray | None = None,
          regress: bool = False, dataset: EnergyDataset | None = None) -> Trained:
    """Train the study's model (classes, or ln E with ``regress``) from the same seed; checkpoints in run/<label>."""
    dataset = dataset or EnergyDataset.from_config(data)
    seed_everything(cfg.run.seed)
    width = 1 if regress else len(dataset.class_names)
    model, _ = build_model(cfg.model, num_classes=width, in_chans=dataset.in_channels)
    if regress:
        task = RegressTask()
    elif weights is not None:
        task = WeightedClassifyTask(dataset.class_names, weights)
    else:
        task = ClassifyTask(dataset.class_names)
    loaders = build_loaders(dataset, data, rank=0, world_size=1)
    if "train" not in loaders or len(loaders["train"]) == 0:
        raise DataError(f"{len(dataset)} events give no full training batch of {data.batch_size}")
    run = replace(cfg.run, output_dir=str(Path(cfg.run.output_dir) / label), progress=False)
    spec = {"in_chans": dataset.in_channels, "image_shape": list(dataset.image_shape),
            "planes": list(dataset.plane_ids), "downsample": list(data.factors), "normalise": data.normalise}
    fit(model, task, loaders["train"], loaders.get("val"), optim=cfg.optim, run=run,
        class_names=list(dataset.class_names), input_spec=spec,
        config={"command": "pid", "label": label, "data": asdict(data), "model": asdict(cfg.model)}, echo=False)
    return Trained(model, dataset, data, label)


def predict_split(trained: Trained, entries: np.ndarray, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities and labels of ``entries`` (in that order), without augmentation."""
    loader = build_loader(trained.dataset.without_augment(), trained.data, entries, rank=0, world_size=1)
    return predict(trained.model, loader, resolve_device(device))


def predict_energies(trained: Trained, entries: np.ndarray, device: str = "cpu"
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted and true kinetic energies (MeV) and class labels of ``entries``."""
    loader = build_loader(trained.dataset.without_augment(), trained.data, entries, rank=0, world_size=1)
    return predict_energy(trained.model, loader, resolve_device(device))


def summarise_pairs(probs: np.ndarray, labels: np.ndarray, class_names: list[str], efficiency: float,
                    thresholds: dict[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """pid_figures without the ROC arrays (JSON-sized): fake rate, error, counts, threshold."""
    figures = pid_figures(probs, labels, class_names, efficiency, thresholds)
    return {pair: {k: v for k, v in entry.items() if k != "roc"} for pair, entry in figures.items()}


def headline(pairs: dict[str, dict[str, Any]]) -> float:
    """The selection figure on validation: mean fake rate of the headline pairs present (lower is better)."""
    values = [pairs[p]["fake_rate"] for p in HEADLINE_PAIRS if p in pairs]
    return float(np.mean(values)) if values else float("inf")


def mine(cfg: PidStudyConfig, baseline: Trained, train_entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Misclassified training events of the baseline, and the per-entry weights that weight them up."""
    probs, labels = predict_split(baseline, train_entries, cfg.run.device)
    mined = train_entries[probs.argmax(1) != labels]
    return mined, mining_weights(len(baseline.dataset), mined, cfg.mining_weight)


def pair_names() -> tuple[str, ...]:
    """Every pair of the study, in table order."""
    return tuple(PID_PAIRS)
