"""``argonet train``: train a model on larcv3 files with the one training engine; ``task`` picks what.

    argonet train task=classify model.name=resnet18 data.file=events.h5 run.epochs=10
    argonet train task=segment data.file=events.h5 data.downsample=[4,4] uresnet.depth=5 loss.balance=light

``classify`` learns the event class, ``segment`` the class of every pixel (background, cosmic,
neutrino) with a UResNet. The model's class count and input planes are read from the dataset
(never typed twice); the checkpoints in ``run.output_dir`` hold the configuration, the class
names and the input spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
import shutil
from typing import Any

from torch.utils.data import DataLoader

from argonet.conf.compose import echo
from argonet.conf.classify import TrainCommandConfig
from argonet.conf.data import DataConfig
from argonet.conf.segment import UNET_MODELS, segment_dataset
from argonet.data.datasets import ClassificationDataset, PlaneImageDataset, SegmentationDataset
from argonet.data.energy import EnergyDataset
from argonet.data.loader import build_dataset, build_loaders
from argonet.errors import ConfigError, DataError
from argonet.models.protocols import ChecksImageShape
from argonet.tasks.classify import ClassifyTask
from argonet.tasks.regress import RegressTask
from argonet.tasks.segment import SegmentTask
from argonet.train.checkpoint import BEST, LAST
from argonet.train.distributed import env_info
from argonet.train.engine import EpochCallback, FitResult, fit
from argonet.train.model_setup import build_model


def classification_dataset(data: DataConfig) -> ClassificationDataset:
    """The classification dataset of ``data``; DataError when it holds a single class only."""
    dataset = build_dataset("classification", data)
    if len(dataset.class_names) < 2:
        raise DataError(f"{', '.join(data.paths())}: every event is of class {dataset.class_names}; "
                        "classification needs at least 2 classes")
    return dataset


def input_spec(dataset: PlaneImageDataset, data: DataConfig) -> dict[str, Any]:
    """What an input image is (planes, shape, preprocessing): stored with the checkpoint for inference."""
    return {"in_chans": dataset.in_channels, "image_shape": list(dataset.image_shape),
            "planes": list(dataset.plane_ids), "charge": data.charge, "downsample": list(data.factors),
            "crop": None if data.crop_box is None else list(data.crop_box), "crop_mode": data.crop_mode,
            "normalise": data.normalise, "scale": data.scale, "clip": data.clip}


def loaders(dataset: PlaneImageDataset, data: DataConfig, batch_size: int) -> dict[str, DataLoader]:
    """Seeded disjoint train/val/test loaders, sharded by the torchrun rank; DataError when training has no batch."""
    info = env_info()
    found = build_loaders(dataset, replace(data, batch_size=batch_size), rank=info.rank, world_size=info.world_size)
    if "train" not in found or len(found["train"]) == 0:
        raise DataError(f"{len(dataset)} events give no full training batch of {batch_size} with split "
                        f"{data.split}; use more events or a smaller run.batch_size")
    return found


#: what a training run writes into its folder (removed by ``overwrite=true``)
RUN_FILES = (LAST, BEST, "train.log", "run.json", "scalars.jsonl", "training_curves.png", "tensorboard")


def claim_run_folder(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse a folder that already holds a run (ConfigError) unless it is resumed or ``overwrite`` replaces it."""
    if resume or not any((out / name).exists() for name in (LAST, BEST)):
        return
    if not overwrite:
        raise ConfigError("run.output_dir", f"{out} already holds a training run ({LAST}); pass overwrite=true "
                          "to replace it or run.resume=true to continue it")
    for name in RUN_FILES:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def train(cfg: TrainCommandConfig, callbacks: Sequence[EpochCallback] = ()) -> FitResult:
    """Build dataset, loaders, model and task for ``cfg.task``, train, and return how the run ended;
    ``callbacks`` are the engine's per-epoch callbacks (e.g. a sweep's pruning)."""
    echo("train", cfg)
    claim_run_folder(Path(cfg.run.output_dir), cfg.run.resume, cfg.overwrite)
    if cfg.task == "segment":
        return _train_segmentation(cfg, callbacks)
    if cfg.task == "regress":                    # kinetic energy of single particles (ln E)
        dataset = EnergyDataset.from_config(cfg.data)
        model, report = build_model(cfg.model, num_classes=1, in_chans=dataset.in_channels, seed=cfg.run.seed)
        return _fit(cfg, dataset, model, report, RegressTask(), input_spec(dataset, cfg.data), callbacks)
    dataset = classification_dataset(cfg.data)
    print(f"classes {dataset.class_counts()}; {dataset.in_channels} planes of {tuple(dataset.image_shape)}")
    model, report = build_model(cfg.model, num_classes=len(dataset.class_names), in_chans=dataset.in_channels,
                                seed=cfg.run.seed)         # the same initial weights for the same seed
    return _fit(cfg, dataset, model, report, ClassifyTask(dataset.class_names), input_spec(dataset, cfg.data),
                callbacks)


def _fit(cfg: TrainCommandConfig, dataset: PlaneImageDataset, model, report: list[str], task,
         spec: dict[str, Any], callbacks: Sequence[EpochCallback] = ()) -> FitResult:
    """Train ``model`` on the seeded split of ``dataset`` with the engine; prints how it ended."""
    for line in report[1:]:      # the first (how the model was initialised) is logged by the engine
        print(line)
    split = loaders(dataset, cfg.data, cfg.run.batch_size)
    result = fit(model, task, split["train"], split.get("val"), optim=cfg.optim, run=cfg.run,
                 class_names=list(dataset.class_names), input_spec=spec, config={"command": "train", **asdict(cfg)},
                 build_report=report[0], callbacks=callbacks)
    best = f", best {result.best}" if result.best else ""
    print(f"training {result.stopped}; checkpoint {result.checkpoint}{best}")
    return result


def segmentation_spec(dataset: SegmentationDataset, data: DataConfig) -> dict[str, Any]:
    """``input_spec`` plus the label producer and its stored numbering (read back by inference)."""
    return {**input_spec(dataset, data), "labels": data.labels, "label_values": list(data.label_values)}


def _train_segmentation(cfg: TrainCommandConfig, callbacks: Sequence[EpochCallback] = ()) -> FitResult:
    """``task=segment``: a UResNet (or any registered segmentation model) on charge + per-pixel labels."""
    dataset = build_dataset(segment_dataset(cfg.model.name, layout=cfg.data.layout)[0], cfg.data)
    print(f"segmentation into {list(dataset.class_names)}; {dataset.in_channels} planes of "
          f"{tuple(dataset.image_shape)} (down-sampled by {list(dataset.factors)})")
    shape = asdict(cfg.uresnet) if cfg.model.name in UNET_MODELS else None
    model, report = build_model(cfg.model, num_classes=len(dataset.class_names), in_chans=dataset.in_channels,
                                options=shape, seed=cfg.run.seed)     # the same initial weights for the same seed
    if isinstance(model, ChecksImageShape):
        model.check_image_shape(dataset.image_shape, "the data's image (after data.downsample and data.crop)")
    task = SegmentTask(dataset.class_names, balance=cfg.loss.balance, focal_gamma=cfg.loss.focal_gamma)
    return _fit(cfg, dataset, model, report, task, segmentation_spec(dataset, cfg.data), callbacks)
