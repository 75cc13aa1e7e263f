"""The optional interfaces a registered network may offer, as ``typing.Protocol``s the rest of argonet checks for.

A builder's network is any ``nn.Module``; these are the extra methods that training, transfer and
inference use when a network has them (``isinstance(model, ChecksImageShape)``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor, nn


@runtime_checkable
class ChecksImageShape(Protocol):
    """A network that accepts only some image sizes and says so before training (the UResNet: multiples of 2**depth)."""

    def check_image_shape(self, shape: tuple[int, int], what: str = "the input image") -> None:
        """ConfigError naming ``what`` when ``shape`` (H, W) does not fit."""
        ...


@runtime_checkable
class GroupedModel(Protocol):
    """A network whose parameters fall into named groups, stem first and head last (per-group learning rates)."""

    def group_matcher(self) -> dict[str, str]:
        """Group name → regular expression matched at the start of parameter names."""
        ...


@runtime_checkable
class TransferModel(Protocol):
    """A classifier split into backbone features and a head (timm's interface): what transfer learning needs."""

    classifier_name: str

    def forward_features(self, x: Tensor) -> Tensor:
        """Backbone features of a batch of images."""
        ...

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        """Logits (or the pooled features with ``pre_logits``) from backbone features."""
        ...

    def get_classifier(self) -> nn.Module:
        """The head."""
        ...

    def reset_classifier(self, num_classes: int) -> None:
        """A new, freshly initialised head for ``num_classes`` classes."""
        ...
