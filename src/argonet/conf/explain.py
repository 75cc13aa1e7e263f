"""Configuration of ``argonet explain``: attributions of one event, top-activating events per channel, embeddings."""

from __future__ import annotations

from dataclasses import dataclass, field

from argonet.conf.data import DataConfig
from argonet.conf.validate import check as _check

METHODS = ("integrated_gradients", "saliency", "occlusion")
WHAT = ("attribution", "channels", "embedding")
SPLITS = ("test", "val", "train", "all")


@dataclass
class TargetConfig:
    """What a segmentation attribution explains: the class of one pixel or the mean logit of a box, in
    model-input pixels (after down-sampling and crop), rows being wires and columns ticks."""

    pixel: list[int] | None = None         # [plane index, wire, tick]
    box: list[int] | None = None           # [plane index, wire0, tick0, wire1, tick1] (end exclusive)

    def __post_init__(self) -> None:
        _check(self.pixel is None or self.box is None, "target", "give target.pixel or target.box, not both")
        _check(self.pixel is None or (len(self.pixel) == 3 and min(self.pixel) >= 0), "target.pixel",
               f"expected [plane, wire, tick] of indices >= 0, got {self.pixel}")
        if self.box is not None:
            _check(len(self.box) == 5 and min(self.box) >= 0, "target.box",
                   f"expected [plane, wire0, tick0, wire1, tick1] of indices >= 0, got {self.box}")
            _check(self.box[3] > self.box[1] and self.box[4] > self.box[2], "target.box",
                   f"the end must lie past the start, got {self.box}")


@dataclass
class ExplainConfig:
    """``argonet explain``: a classifier or segmentation checkpoint looked into.

    ``what=attribution``: which input pixels drive the output for event ``event`` (``method``
    integrated_gradients from an empty detector, saliency |d output / d input|, or occlusion by
    ``window`` x ``window`` patches), drawn per plane next to the charge and the truth, for the
    predicted and the true class. ``what=channels``: for each channel of ``layers``, the
    ``top_k`` events of the split that activate it most, and the first layer's filters.
    ``what=embedding``: the penultimate features of the split in 2-D (t-SNE), as PNG and HTML.
    Data options left at their defaults take the checkpoint's (planes, crop, normalisation, split).
    """

    checkpoint: str = ""                   # required (checked when the command runs, so that --help works)
    data: DataConfig = field(default_factory=DataConfig)
    what: str = "attribution"              # attribution | channels | embedding
    event: int = 0                         # dataset entry explained by what=attribution
    method: str = "integrated_gradients"   # integrated_gradients | saliency | occlusion
    steps: int = 64                        # integrated gradients: points on the path from the empty image
    window: int = 4                        # occlusion: patch size in model-input pixels
    stride: int = 2                        # occlusion: patch step
    target: TargetConfig = field(default_factory=TargetConfig)
    truth: str = "argonet_kind"            # sparse2d producer drawn as truth (else data.labels when present)
    layers: list[str] = field(default_factory=list)   # what=channels: module names (empty: the last 2 stages)
    channels: int = 8                      # what=channels: first channels of each layer shown
    top_k: int = 6                         # what=channels: events per channel
    split: str = "test"                    # channels / embedding: which split's events
    max_events: int = 500                  # channels / embedding: at most this many events of the split
    perplexity: float = 30.0               # embedding: t-SNE perplexity (lowered for small splits)
    output_dir: str = "runs/explain"
    seed: int = 0

    def __post_init__(self) -> None:
        _check(self.what in WHAT, "what", f"unknown view {self.what!r}", WHAT)
        _check(self.method in METHODS, "method", f"unknown method {self.method!r}", METHODS)
        _check(self.event >= 0, "event", f"must be >= 0 (got {self.event})")
        _check(self.steps >= 2, "steps", f"must be >= 2 (got {self.steps})")
        _check(self.window >= 1 and self.stride >= 1, "window", "window and stride must be >= 1")
        _check(self.channels >= 1 and self.top_k >= 1, "channels", "channels and top_k must be >= 1")
        _check(self.split in SPLITS, "split", f"unknown split {self.split!r}", SPLITS)
        _check(self.max_events >= 2, "max_events", f"must be >= 2 (got {self.max_events})")
        _check(self.perplexity > 0, "perplexity", "must be > 0")
        _check(bool(self.output_dir), "output_dir", "must name a folder")

    def require_checkpoint(self) -> str:
        """The checkpoint path; ConfigError when none was given."""
        _check(bool(self.checkpoint), "checkpoint", "name the checkpoint to explain: checkpoint=runs/train/best.pt")
        return self.checkpoint
