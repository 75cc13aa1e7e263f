"""Image classifiers with one interface for transfer learning.

Every classifier splits into a backbone and a head:

* ``forward_features(x)``: (N, in_chans, H, W) images → (N, num_features, h, w) feature map;
* ``forward_head(features, pre_logits=False)``: global average pool (skipped when the features are
  already pooled to (N, num_features)), dropout, linear layer → (N, num_classes) logits; with
  ``pre_logits=True`` it stops after the pooling, which is what the feature cache stores;
* ``reset_classifier(n)``: a new n-class head (0: none, the model then returns features);
* ``group_matcher()``: ordered {group: regex over parameter names}, input side first and the head
  last, for per-group learning rates and freezing.

Attributes ``num_classes``, ``in_chans``, ``num_features``, ``first_conv`` (the module whose weight
adapts to the number of wire planes) and ``classifier_name`` (the head module). ``load_report``
says whether pretrained weights were loaded.

The ResNets and GoogLeNet are torchvision's architectures, wrapped: their parameter names are
torchvision's, so torchvision weight files load unchanged. ``resnet18-views`` runs one ResNet-18 on
each wire plane separately and joins them after pooling. ``smallcnn`` is a 0.3 M-parameter
network for quick CPU runs and tests.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn
from torchvision.models.googlenet import BasicConv2d, GoogLeNet
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from argonet.errors import ConfigError
from argonet.models.registry import register_model
from argonet.models.weights import load_pretrained

log = logging.getLogger(__name__)


def _check_widths(num_classes: int, in_chans: int) -> None:
    """Class and channel counts come from configs and dataset metadata: refuse nonsense clearly."""
    if num_classes < 0:
        raise ConfigError("model.num_classes", f"must be >= 0 (got {num_classes})")
    if in_chans < 1:
        raise ConfigError("model.in_chans", f"must be >= 1 (got {in_chans})")


class ClassifierMixin:
    """The shared head logic; a class sets ``avgpool``, ``head_drop``, ``num_features`` and its head."""

    first_conv: str
    classifier_name: str = "fc"
    num_classes: int
    in_chans: int
    num_features: int

    def forward_features(self, x: Tensor) -> Tensor:  # pragma: no cover - every classifier overrides
        raise NotImplementedError

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        """Logits from a feature map or from pooled (N, num_features) features."""
        x = torch.flatten(self.avgpool(features), 1) if features.ndim == 4 else features
        if pre_logits:
            return x
        return self.get_classifier()(self.head_drop(x))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (N, num_classes) of images (N, in_chans, H, W)."""
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        """The head: the last linear layer."""
        return getattr(self, self.classifier_name)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head by a freshly initialised one with ``num_classes`` outputs (0: identity)."""
        _check_widths(num_classes, self.in_chans)
        head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        old = self.get_classifier()
        if isinstance(old, nn.Linear) and num_classes > 0:
            head = head.to(device=old.weight.device, dtype=old.weight.dtype)
        setattr(self, self.classifier_name, head)
        self.num_classes = num_classes


class ResNetClassifier(ClassifierMixin, ResNet):
    """torchvision ResNet: 7x7 stride-2 stem and max-pool (input / 4), four stages of residual
    blocks (64, 128, 256, 512 channels x block expansion; stages 2-4 halve the size), so the feature
    map is the input / 32."""

    first_conv = "conv1"

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int = 1000,
                 in_chans: int = 3, drop_rate: float = 0.0):
        _check_widths(num_classes, in_chans)
        super().__init__(block, layers, num_classes=max(num_classes, 1))
        if in_chans != 3:
            self.conv1 = nn.Conv2d(in_chans, 64, kernel_size=7, stride=2, padding=3, bias=False)
            nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")
        self.in_chans, self.num_features = in_chans, 512 * block.expansion
        self.head_drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.num_classes = num_classes
        if num_classes == 0:
            self.reset_classifier(0)

    def forward_features(self, x: Tensor) -> Tensor:
        """Feature map (N, num_features, H/32, W/32)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def group_matcher(self) -> dict[str, str]:
        """stem, layer1..layer4, head."""
        return {"stem": r"^(conv1|bn1)\.", **{f"layer{i}": rf"^layer{i}\." for i in range(1, 5)}, "head": r"^fc\."}


class ResNetViewsClassifier(ResNetClassifier):
    """One ResNet shared by every wire plane, merged late, in the spirit of the NOvA and DUNE CVNs
    (which process the views apart): the views are different wire planes, so a pixel of one view has
    no partner at the same place in another and only the late, pooled features are combined.

    Each of the ``in_chans`` views runs through the same single-channel backbone; the feature maps
    are stacked view after view along channels (``num_features`` = views x 512 x expansion), so the
    pooled features are the per-view features side by side and the head sees which view is which.
    Parameter names are torchvision's, so its weight files load (first convolution summed to one
    channel). Costs ``in_chans`` times a one-channel ResNet; all views must have the same size.
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int = 1000,
                 in_chans: int = 3, drop_rate: float = 0.0):
        _check_widths(num_classes, in_chans)
        super().__init__(block, layers, num_classes, 1, drop_rate)
        self.in_chans, self.num_features = in_chans, in_chans * 512 * block.expansion
        self.reset_classifier(num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """Feature map (N, views x 512 x expansion, H/32, W/32): the views' maps, view after view."""
        if x.ndim != 4 or x.shape[1] != self.in_chans:
            raise ValueError(f"expected (N, {self.in_chans}, H, W) images, one channel per view; got {tuple(x.shape)}")
        n, views = x.shape[:2]
        features = super().forward_features(x.reshape(n * views, 1, *x.shape[2:]))
        return features.reshape(n, views * features.shape[1], *features.shape[2:])


class GoogLeNetClassifier(ClassifierMixin, GoogLeNet):
    """torchvision GoogLeNet (Inception v1) without the auxiliary heads and without ImageNet input
    re-normalisation: a convolutional stem (input / 8), inception stages 3, 4 and 5 separated by
    max-pools, so the 1024-channel feature map is the input / 32 (rounded up)."""

    first_conv = "conv1.conv"
    ignored_weights = ("aux1.", "aux2.")   # auxiliary heads in torchvision's weight files

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.2):
        _check_widths(num_classes, in_chans)
        super().__init__(num_classes=max(num_classes, 1), aux_logits=False, transform_input=False,
                         init_weights=True, dropout=drop_rate)
        if in_chans != 3:
            self.conv1 = BasicConv2d(in_chans, 64, kernel_size=7, stride=2, padding=3)
            nn.init.trunc_normal_(self.conv1.conv.weight, mean=0.0, std=0.01, a=-2, b=2)
        self.head_drop = self.dropout
        del self.dropout
        self.in_chans, self.num_features = in_chans, 1024
        self.num_classes = num_classes
        if num_classes == 0:
            self.reset_classifier(0)

    def forward_features(self, x: Tensor) -> Tensor:
        """Feature map (N, 1024, ceil(H/32), ceil(W/32))."""
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4e(self.inception4d(self.inception4c(self.inception4b(self.inception4a(x)))))
        return self.inception5b(self.inception5a(self.maxpool4(x)))

    def group_matcher(self) -> dict[str, str]:
        """stem, inception3..inception5, head."""
        return {"stem": r"^conv[123]\.", **{f"inception{i}": rf"^inception{i}" for i in (3, 4, 5)}, "head": r"^fc\."}


def _conv_block(in_chans: int, out_chans: int, stride: int, norm: str) -> nn.Sequential:
    """3x3 convolution, optional batch norm, ReLU."""
    batch_norm = norm == "batch"
    layers = [nn.Conv2d(in_chans, out_chans, 3, stride=stride, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_chans))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SmallCNN(ClassifierMixin, nn.Module):
    """A small, fast CNN: a stride-2 3x3 stem (32 channels), two stages of a stride-2 3x3
    convolution and a 3x3 convolution (64, 128 channels), so the 128-channel feature map is the
    input / 8. ``norm="none"`` drops the batch norm (for exact multi-process comparisons)."""

    first_conv = "stem.0"
    widths = (32, 64, 128)

    def __init__(self, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.0, norm: str = "batch"):
        _check_widths(num_classes, in_chans)
        if norm not in ("batch", "none"):
            raise ConfigError("model.norm", f"unknown normalisation {norm!r}", ("batch", "none"))
        super().__init__()
        w0, w1, w2 = self.widths
        self.stem = _conv_block(in_chans, w0, 2, norm)
        self.stage1 = nn.Sequential(_conv_block(w0, w1, 2, norm), _conv_block(w1, w1, 1, norm))
        self.stage2 = nn.Sequential(_conv_block(w1, w2, 2, norm), _conv_block(w2, w2, 1, norm))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.in_chans, self.num_features, self.num_classes = in_chans, w2, num_classes
        self.fc = nn.Linear(w2, num_classes) if num_classes > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_features(self, x: Tensor) -> Tensor:
        """Feature map (N, 128, H/8, W/8)."""
        return self.stage2(self.stage1(self.stem(x)))

    def group_matcher(self) -> dict[str, str]:
        """stem, stage1, stage2, head."""
        return {"stem": r"^stem\.", "stage1": r"^stage1\.", "stage2": r"^stage2\.", "head": r"^fc\."}


class FeatureHead(nn.Module):
    """Runs only a classifier's head, on cached pre-logit features (see ``train.features``).

    The classifier is held as ``module`` (as DistributedDataParallel holds its model), so the
    training engine unwraps it and checkpoints contain the whole classifier, backbone included.
    """

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.module = classifier

    def forward(self, features: Tensor) -> Tensor:
        """Logits of pooled (N, num_features) features."""
        return self.module.forward_head(features)


def _finish(model: nn.Module, arch: str, weights: str | None, name: str | None = None) -> nn.Module:
    """Load pretrained weights (``arch``'s files) if asked and record (and log) where the weights came
    from; ``name`` is the registered name where it differs from ``arch``."""
    if weights is None:
        n_params = sum(p.numel() for p in model.parameters())
        model.load_report = f"{name or arch}: from scratch (random initialisation, {n_params / 1e6:.2f} M parameters)"
    else:
        model.load_report = (f"{name}, " if name else "") + load_pretrained(model, arch, weights)
    log.info(model.load_report)
    return model


@register_model()
def resnet18(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
             drop_rate: float = 0.0) -> ResNetClassifier:
    """ResNet-18 (basic blocks 2-2-2-2): 11.7 M parameters with a 1000-class head, 512 features."""
    return _finish(ResNetClassifier(BasicBlock, [2, 2, 2, 2], num_classes, in_chans, drop_rate), "resnet18", weights)


@register_model()
def resnet34(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
             drop_rate: float = 0.0) -> ResNetClassifier:
    """ResNet-34 (basic blocks 3-4-6-3): 21.8 M parameters, 512 features."""
    return _finish(ResNetClassifier(BasicBlock, [3, 4, 6, 3], num_classes, in_chans, drop_rate), "resnet34", weights)


@register_model()
def resnet50(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
             drop_rate: float = 0.0) -> ResNetClassifier:
    """ResNet-50 (bottleneck blocks 3-4-6-3): 25.6 M parameters, 2048 features."""
    return _finish(ResNetClassifier(Bottleneck, [3, 4, 6, 3], num_classes, in_chans, drop_rate), "resnet50", weights)


@register_model("resnet18-views")
def resnet18_views(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
                   drop_rate: float = 0.0) -> ResNetViewsClassifier:
    """ResNet-18 shared by the views, merged after pooling (CVN style): 11.2 M parameters, 512 features per view."""
    model = ResNetViewsClassifier(BasicBlock, [2, 2, 2, 2], num_classes, in_chans, drop_rate)
    return _finish(model, "resnet18", weights, name="resnet18-views")


@register_model()
def googlenet(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
              drop_rate: float = 0.2) -> GoogLeNetClassifier:
    """GoogLeNet / Inception v1 without auxiliary heads: 6.6 M parameters, 1024 features."""
    return _finish(GoogLeNetClassifier(num_classes, in_chans, drop_rate), "googlenet", weights)


@register_model()
def smallcnn(num_classes: int = 1000, in_chans: int = 3, weights: str | None = None,
             drop_rate: float = 0.0, norm: str = "batch") -> SmallCNN:
    """Small CNN for quick CPU runs: 0.28 M parameters (3 inputs), 128 features."""
    return _finish(SmallCNN(num_classes, in_chans, drop_rate, norm), "smallcnn", weights)
