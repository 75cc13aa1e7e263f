"""``argonet train``: train an event classifier on larcv3 files with the one training engine.

    argonet train task=classify model.name=resnet18 data.file=events.h5 run.epochs=10

The model's class count and input planes are read from the dataset (never typed twice); the
checkpoints in ``run.output_dir`` hold the configuration, the class names and the input spec.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from torch.utils.data import DataLoader

from argonet import __version__
from argonet.cli.config import to_yaml
from argonet.conf.classify import TrainCommandConfig
from argonet.conf.data import DataConfig
from argonet.data.datasets import ClassificationDataset
from argonet.data.loader import build_dataset, build_loaders
from argonet.errors import DataError
from argonet.tasks.classify import ClassifyTask
from argonet.train.distributed import env_info
from argonet.train.engine import FitResult, fit
from argonet.train.model_setup import build_model


def classification_dataset(data: DataConfig) -> ClassificationDataset:
    """The classification dataset of ``data``; DataError when it holds a single class only."""
    dataset = build_dataset("classification", data)
    if len(dataset.class_names) < 2:
        raise DataError(f"{', '.join(data.paths())}: every event is of class {dataset.class_names}; "
                        "classification needs at least 2 classes")
    return dataset


def input_spec(dataset: ClassificationDataset, data: DataConfig) -> dict[str, Any]:
    """What an input image is (planes, shape, preprocessing): stored with the checkpoint for inference."""
    return {"in_chans": dataset.in_channels, "image_shape": list(dataset.image_shape),
            "planes": list(dataset.plane_ids), "charge": data.charge, "downsample": list(data.factors),
            "crop": None if data.crop_box is None else list(data.crop_box), "crop_mode": data.crop_mode,
            "normalise": data.normalise, "scale": data.scale, "clip": data.clip}


def loaders(dataset: ClassificationDataset, data: DataConfig, batch_size: int) -> dict[str, DataLoader]:
    """Seeded disjoint train/val/test loaders, sharded by the torchrun rank; DataError when training has no batch."""
    info = env_info()
    found = build_loaders(dataset, replace(data, batch_size=batch_size), rank=info.rank, world_size=info.world_size)
    if "train" not in found or len(found["train"]) == 0:
        raise DataError(f"{len(dataset)} events give no full training batch of {batch_size} with split "
                        f"{data.split}; use more events or a smaller run.batch_size")
    return found


def run(cfg: TrainCommandConfig) -> FitResult:
    """Build dataset, loaders and model, train, and return how the run ended."""
    print(f"argonet {__version__} train\n{to_yaml(cfg)}", flush=True)
    dataset = classification_dataset(cfg.data)
    print(f"classes {dataset.class_counts()}; {dataset.in_channels} planes of {tuple(dataset.image_shape)}")
    model, report = build_model(cfg.model, num_classes=len(dataset.class_names), in_chans=dataset.in_channels)
    for line in report[1:]:      # the first (how the model was initialised) is logged by the engine
        print(line)
    split = loaders(dataset, cfg.data, cfg.run.batch_size)
    result = fit(model, ClassifyTask(dataset.class_names), split["train"], split.get("val"), optim=cfg.optim,
                 run=cfg.run, class_names=dataset.class_names, input_spec=input_spec(dataset, cfg.data),
                 config={"command": "train", **asdict(cfg)})
    print(f"training {result.stopped}; checkpoint {result.checkpoint}" + (f", best {result.best}" if result.best else ""))
    return result
