"""Toy data and tasks shared by the training tests and the torchrun worker (no files, no downloads)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset


def toy_images(n: int, num_classes: int = 3, in_chans: int = 2, size: int = 16, seed: int = 0) -> TensorDataset:
    """Noise images where class c lights up horizontal band c: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % num_classes
    images = 0.3 * torch.randn(n, in_chans, size, size, generator=g)
    band = size // num_classes
    for c in range(num_classes):
        images[labels == c, :, c * band:(c + 1) * band, :] += 1.0
    order = torch.randperm(n, generator=g)
    return TensorDataset(images[order], labels[order])


class ClassifyTask:
    """Cross-entropy classification, with an optional random flip drawn from torch's global generator."""

    def __init__(self, flip: bool = False):
        self.flip = flip

    def __call__(self, model: nn.Module, batch) -> dict:
        images, labels = batch
        if self.flip and model.training and torch.rand(()) < 0.5:
            images = images.flip(-1)
        logits = model(images)
        return {"loss": F.cross_entropy(logits, labels), "output": logits, "target": labels}

    def metrics(self, outputs: Tensor, targets: Tensor) -> dict[str, float]:
        return {"accuracy": (outputs.argmax(1) == targets).float().mean().item()}


class TinyNet(nn.Module):
    """Two convolutions and a linear layer, no normalisation: imports nothing beyond torch (fast to start)."""

    def __init__(self, in_chans: int = 2, num_classes: int = 3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def train_toy(output_dir, *, n_train: int = 48, batch_size: int = 8, model: dict | str | None = None,
              optim: dict | None = None, run: dict | None = None, task=None, val: bool = True, info=None,
              callbacks=()):
    """Build a model (smallcnn with ``model`` arguments, or ``model="tiny"``) and in-memory loaders,
    run ``fit``; returns (model, FitResult)."""
    from argonet.conf.train import OptimConfig, RunConfig
    from argonet.train.distributed import env_info, make_loader
    from argonet.train.engine import fit

    info = info or env_info()
    torch.manual_seed(123)
    if model == "tiny":
        net = TinyNet()
    else:
        from argonet.models.registry import get_model
        net = get_model("smallcnn", num_classes=3, in_chans=2, **(model or {}))
    train_loader = make_loader(toy_images(n_train), batch_size, train=True, seed=7, info=info)
    val_loader = make_loader(toy_images(24, seed=1), 12, train=False, seed=7, info=info) if val else None
    run_cfg = RunConfig(**{"epochs": 2, "output_dir": str(output_dir), "device": "cpu", "progress": False,
                           "tensorboard": False, "amp": "off", **(run or {})})
    optim_cfg = OptimConfig(**{"lr": 0.05, **(optim or {})})
    result = fit(net, task or ClassifyTask(), train_loader, val_loader, optim=optim_cfg, run=run_cfg,
                 class_names=["a", "b", "c"], input_spec={"in_chans": 2, "size": [16, 16]}, echo=False,
                 callbacks=callbacks)
    return net, result


#: The data-parallel comparison: no batch norm (per-rank batch statistics differ from the global
#: batch's) and no dropout; SGD momentum is fine since the averaged gradients are the same.
DDP_SETUP = {"per_rank_batch": 4, "world_size": 2,
             "common": {"n_train": 32, "model": "tiny", "optim": {"momentum": 0.9, "lr": 0.2}, "run": {"epochs": 2}}}
