"""Jet classifiers: the classroom CNN of the HSF deep-learning lesson, a stronger CNN for 20x20 jet
images, and an MLP on high-level jet features.

* ``jetcnn-classroom``: two blocks of a 5x5 convolution (5, then 10 channels), ReLU and 2x2
  max-pool, then fully connected 40 -> 30 -> 20 -> 10 -> classes: 3 505 parameters for one
  channel and five classes, as in the lesson.
* ``jetcnn``: each pixel seen twice, as its intensity and as log(1 + intensity) (sums of energy
  such as the mass are linear, the soft radiation that tells quarks from gluons shows on the log
  scale), batch-normalised, then three stages of two 3x3 convolutions with batch norm (``width``,
  2x, 4x channels; max-pool between stages) and a fully connected head on the flattened map: jet
  images are aligned by the preprocessing, so where the energy lies matters and is not pooled away.
  Train it on raw images (pT in GeV, ``data.normalise=none``).
* ``jetmlp``: batch norm on the raw features (it learns their scales from the training batches),
  then ``depth`` hidden layers of ``hidden`` units with ReLU and dropout.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from argonet.errors import ConfigError
from argonet.models.registry import register_model

log = logging.getLogger(__name__)


def _check(num_classes: int, in_chans: int, weights: str | None, name: str) -> None:
    """Widths come from the data; these models have no pretrained weights."""
    if num_classes < 1:
        raise ConfigError("model.num_classes", f"must be >= 1 (got {num_classes})")
    if in_chans < 1:
        raise ConfigError("model.in_chans", f"must be >= 1 (got {in_chans})")
    if weights is not None:
        raise ConfigError("model.weights", f"{name} has no pretrained weights; train it from scratch")


def _report(model: nn.Module, name: str) -> nn.Module:
    """Record how the model was built (the engine logs it once)."""
    n_params = sum(p.numel() for p in model.parameters())
    model.load_report = f"{name}: from scratch (random initialisation, {n_params} parameters)"
    log.info(model.load_report)
    return model


class ClassroomCNN(nn.Module):
    """The lesson's CNN for (N, C, 20, 20) images; larger images are max-pooled to the same 2x2 map."""

    def __init__(self, num_classes: int = 5, in_chans: int = 1):
        super().__init__()
        self.num_classes, self.in_chans = num_classes, in_chans
        self.conv1 = nn.Sequential(nn.Conv2d(in_chans, 5, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(5, 10, 5), nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveMaxPool2d(2))
        self.fc = nn.Sequential(nn.Linear(10 * 2 * 2, 30), nn.ReLU(), nn.Linear(30, 20), nn.ReLU(),
                                nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (N, num_classes) of images of at least 16 x 16 pixels."""
        if x.ndim != 4 or min(x.shape[-2:]) < 16:
            raise ConfigError("model.name", f"jetcnn-classroom takes (N, C, H, W) images of >= 16 pixels a side, "
                              f"got {tuple(x.shape)}")
        return self.fc(self.conv2(self.conv1(x)).flatten(1))

    def group_matcher(self) -> dict[str, str]:
        """conv1, conv2, head."""
        return {"conv1": r"^conv1\.", "conv2": r"^conv2\.", "head": r"^fc\."}


def _stage(in_chans: int, out_chans: int) -> nn.Sequential:
    """Two 3x3 convolutions with batch norm and ReLU, size kept."""
    return nn.Sequential(nn.Conv2d(in_chans, out_chans, 3, padding=1, bias=False), nn.BatchNorm2d(out_chans),
                         nn.ReLU(inplace=True), nn.Conv2d(out_chans, out_chans, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_chans), nn.ReLU(inplace=True))


class JetCNN(nn.Module):
    """Stages at full, 1/2 and 1/4 size (a 5x5 map for 20x20 images; larger ones are averaged down to
    5x5), then flatten -> dropout -> hidden layer -> classes."""

    def __init__(self, num_classes: int = 5, in_chans: int = 1, width: int = 32, hidden: int = 128,
                 drop_rate: float = 0.3):
        super().__init__()
        if width < 1 or hidden < 1 or not 0.0 <= drop_rate < 1.0:
            raise ConfigError("model", f"need width >= 1, hidden >= 1 and 0 <= drop_rate < 1, got {width}, "
                              f"{hidden}, {drop_rate}")
        self.num_classes, self.in_chans = num_classes, in_chans
        self.input_norm = nn.BatchNorm2d(2 * in_chans)
        self.stage1 = _stage(2 * in_chans, width)
        self.stage2 = nn.Sequential(nn.MaxPool2d(2), _stage(width, 2 * width))
        self.stage3 = nn.Sequential(nn.MaxPool2d(2), _stage(2 * width, 4 * width), nn.AdaptiveAvgPool2d(5))
        self.fc = nn.Sequential(nn.Flatten(), nn.Dropout(drop_rate), nn.Linear(4 * width * 5 * 5, hidden),
                                nn.ReLU(inplace=True), nn.Dropout(drop_rate), nn.Linear(hidden, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        """Logits (N, num_classes) of (N, C, H, W) images of non-negative intensities."""
        x = self.input_norm(torch.cat([x, torch.log1p(x.clamp_min(0))], dim=1))
        return self.fc(self.stage3(self.stage2(self.stage1(x))))

    def group_matcher(self) -> dict[str, str]:
        """stem (input norm and stage1), stage2, stage3, head."""
        return {"stem": r"^(input_norm|stage1)\.", "stage2": r"^stage2\.", "stage3": r"^stage3\.", "head": r"^fc\."}


class JetMLP(nn.Module):
    """(N, F) features -> batch norm -> depth x (linear, ReLU, dropout) -> classes."""

    def __init__(self, num_classes: int = 5, in_chans: int = 6, hidden: int = 64, depth: int = 3,
                 drop_rate: float = 0.1):
        super().__init__()
        if hidden < 1 or depth < 1 or not 0.0 <= drop_rate < 1.0:
            raise ConfigError("model", f"need hidden >= 1, depth >= 1 and 0 <= drop_rate < 1, got {hidden}, "
                              f"{depth}, {drop_rate}")
        self.num_classes, self.in_chans = num_classes, in_chans
        self.norm = nn.BatchNorm1d(in_chans)
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(in_chans if i == 0 else hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(drop_rate)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (N, num_classes) of (N, F) features."""
        if x.ndim != 2 or x.shape[1] != self.in_chans:
            raise ConfigError("model.in_chans", f"jetmlp takes (N, {self.in_chans}) features, got {tuple(x.shape)}")
        return self.fc(self.body(self.norm(x)))

    def group_matcher(self) -> dict[str, str]:
        """norm, body, head."""
        return {"norm": r"^norm\.", "body": r"^body\.", "head": r"^fc\."}


@register_model("jetcnn-classroom")
def jetcnn_classroom(num_classes: int = 5, in_chans: int = 1, weights: str | None = None) -> ClassroomCNN:
    """The HSF lesson's jet-image CNN: 3 505 parameters for 20x20 images and 5 classes."""
    _check(num_classes, in_chans, weights, "jetcnn-classroom")
    return _report(ClassroomCNN(num_classes, in_chans), "jetcnn-classroom")


@register_model("jetcnn")
def jetcnn(num_classes: int = 5, in_chans: int = 1, weights: str | None = None, width: int = 32,
           hidden: int = 128, drop_rate: float = 0.3) -> JetCNN:
    """A VGG-style CNN for jet images: 0.70 M parameters at width 32 (one channel, five classes)."""
    _check(num_classes, in_chans, weights, "jetcnn")
    return _report(JetCNN(num_classes, in_chans, width, hidden, drop_rate), "jetcnn")


@register_model("jetmlp")
def jetmlp(num_classes: int = 5, in_chans: int = 6, weights: str | None = None, hidden: int = 64, depth: int = 3,
           drop_rate: float = 0.1) -> JetMLP:
    """MLP on high-level jet features (``data.format=jet_features``; ``in_chans`` = number of features)."""
    _check(num_classes, in_chans, weights, "jetmlp")
    return _report(JetMLP(num_classes, in_chans, hidden, depth, drop_rate), "jetmlp")
