"""Configuration of pixel segmentation: the UResNet, its loss (``argonet train task=segment``), inference."""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import ClassVar

from argonet.conf.data import DataConfig
from argonet.conf.train import DEVICES, AMP_MODES
from argonet.conf.validate import check as _check

GROWTH = ("additive", "multiplicative")
DOWNSAMPLING = ("max_pool", "conv")
UPSAMPLING = ("interpolate", "conv")
CONNECTIONS = ("concat", "sum", "none")
BALANCES = ("none", "even", "light", "focal")
INFERENCE_TASKS = ("segment",)
SEGMENT_MODEL = "uresnet"                  # model.name of task=segment when none is given
SPARSE_SEGMENT_MODELS = ("sparse-uresnet",)          # models fed sparse batches (active pixels only)
UNET_MODELS = (SEGMENT_MODEL, *SPARSE_SEGMENT_MODELS)  # models shaped by the ``uresnet`` group


def segment_dataset(model_name: str, truth: bool = True, layout: str = "auto") -> tuple[str, dict]:
    """(dataset kind, dataset options) that feed segmentation model ``model_name``: sparse batches for
    sparse models, dense images otherwise; without ``truth`` no label producer is read. A ``layout``
    (data.layout) other than auto must be the model's own: ConfigError otherwise."""
    sparse = model_name in SPARSE_SEGMENT_MODELS
    if layout != "auto" and (layout == "sparse") != sparse:
        wants = "sparse batches (active pixels only)" if sparse else "dense images"
        other = "sparse-uresnet" if not sparse else SEGMENT_MODEL
        _check(False, "data.layout", f"model {model_name or SEGMENT_MODEL} reads {wants}, not {layout} ones; "
               f"use data.layout=auto, or model.name={other} for {layout} batches")
    if sparse:
        return "sparse_segmentation", ({} if truth else {"labels": None})
    return ("segmentation" if truth else "image"), {}


@dataclass
class UResNetConfig:
    """The UResNet's shape (see argonet.models.uresnet; ``sparse-uresnet`` takes the same): CosmicTagger's
    defaults, but depth 6 (its 7 needs image sizes that are multiples of 128, which 3 x 512 x 320 is not)."""

    depth: int = 6                         # down-samplings; image sizes must be multiples of 2**depth
    filters: int = 16                      # channels at full resolution
    growth: str = "additive"               # additive (+filters per level) | multiplicative (x2 per level)
    blocks_per_layer: int = 2              # convolution blocks per level, encoder and decoder each
    blocks_deepest: int = 5                # blocks where the planes meet
    deepest_filters: int | None = 256      # channels where the planes meet (None: planes x deepest level's width)
    deepest_kernel: int = 5                # kernel size of the blocks where the planes meet
    residual: bool = True                  # residual connections in every block
    batch_norm: bool = True                # batch normalisation in every block
    downsampling: str = "max_pool"         # max_pool | conv (strided)
    upsampling: str = "interpolate"        # interpolate (nearest) | conv (transposed)
    connections: str = "concat"            # concat | sum | none (encoder-decoder skip connections)

    def __post_init__(self) -> None:
        _check(1 <= self.depth <= 12, "uresnet.depth", f"must be in [1, 12] (got {self.depth})")
        _check(self.filters >= 1, "uresnet.filters", f"must be >= 1 (got {self.filters})")
        _check(self.blocks_per_layer >= 0, "uresnet.blocks_per_layer", "must be >= 0")
        _check(self.blocks_deepest >= 0, "uresnet.blocks_deepest", "must be >= 0")
        _check(self.deepest_filters is None or self.deepest_filters >= 1, "uresnet.deepest_filters", "must be >= 1")
        _check(self.deepest_kernel >= 1 and self.deepest_kernel % 2 == 1, "uresnet.deepest_kernel",
               f"must be an odd size >= 1 (got {self.deepest_kernel})")
        for name, choices in (("growth", GROWTH), ("downsampling", DOWNSAMPLING), ("upsampling", UPSAMPLING),
                              ("connections", CONNECTIONS)):
            value = getattr(self, name)
            _check(value in choices, f"uresnet.{name}", f"unknown option {value!r}", choices)


@dataclass
class LossConfig:
    """Per-pixel cross-entropy and its class balance (argonet.tasks.segment documents each scheme)."""

    balance: str = "light"                 # none | even | light | focal
    focal_gamma: float = 2.0               # exponent of (1 - p_true) in the focal weights

    def __post_init__(self) -> None:
        _check(self.balance in BALANCES, "loss.balance", f"unknown balance scheme {self.balance!r}", BALANCES)
        _check(math.isfinite(self.focal_gamma) and self.focal_gamma >= 0, "loss.focal_gamma", "must be >= 0")


@dataclass
class InferenceConfig:
    """``argonet inference``: a segmentation checkpoint on one larcv3 file → a copy of the file with the
    predicted labels as one more sparse2d product, and a metrics JSON where the file has truth labels.

    Data options left at their defaults take the checkpoint's values (planes, down-sampling,
    normalisation, label producer and numbering). Predictions hold the input's charge pixels, the
    label of each being the prediction of the down-sampled pixel it falls in, stored with the
    same numbering as the truth labels (``data.label_values``). An event without any charge pixel
    gets an empty prediction (whatever ``data.allow_empty`` says; the count is printed and stored).

    ``logit_offsets`` moves the decision without retraining: a class balance in the loss (the
    neutrino weight of ``light``) favours the rare class, and e.g. ``[0,0,-1]`` takes back part of
    that; choose offsets on events that are not the ones reported. Released weights (``checkpoint=sbnd-cosmic``)
    carry the offsets chosen for them, used unless ``logit_offsets`` is given (``[0,0,0]``: plain argmax).
    """

    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "batch_size"}

    task: str = "segment"                  # segment
    checkpoint: str = ""                   # required: a checkpoint file or released weights (sbnd-cosmic)
    data: DataConfig = field(default_factory=DataConfig)
    output: str | None = None              # default: <input stem>_inference.h5 beside the input
    metrics: str | None = None             # default: <output stem>.metrics.json
    producer: str = "argonet_prediction"   # sparse2d producer of the predicted labels
    logit_offsets: list[float] | None = None   # one per class, added to the logits (None: the checkpoint's, or none)
    batch_size: int = 4                    # events per batch
    device: str = "auto"                   # auto | cpu | cuda
    amp: str = "off"                       # off | auto | bf16 | fp16 (autocast of the forward pass)
    overwrite: bool = False                # replace existing output and metrics files
    progress: bool = True                  # show a progress bar

    def __post_init__(self) -> None:
        _check(self.task in INFERENCE_TASKS, "task", f"unknown task {self.task!r}", INFERENCE_TASKS)
        _check(bool(self.producer) and "/" not in self.producer, "producer", "must be a producer name")
        _check(self.batch_size >= 1, "batch_size", f"must be >= 1 (got {self.batch_size})")
        _check(self.device in DEVICES, "device", f"unknown device {self.device!r}", DEVICES)
        _check(self.amp in AMP_MODES, "amp", f"unknown mode {self.amp!r}", AMP_MODES)
        if self.logit_offsets is not None:
            _check(all(math.isfinite(v) for v in self.logit_offsets), "logit_offsets",
                   f"must be finite numbers (got {self.logit_offsets})")

    def require_checkpoint(self) -> str:
        """The checkpoint path; ConfigError when none was given."""
        _check(bool(self.checkpoint), "checkpoint", "name the checkpoint: checkpoint=runs/segment/best.pt")
        return self.checkpoint
