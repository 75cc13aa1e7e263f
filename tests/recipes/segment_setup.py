"""Helpers of the segmentation recipe tests: a tiny UResNet trained for one epoch on the CosmicTagger sample."""

from __future__ import annotations

from pathlib import Path

from argonet.cli.main import main
from torch_threads import one_torch_thread

QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=2"]


def tiny_net(depth: int) -> list[str]:
    """Overrides of a UResNet with 2 filters and one block per level, ``depth`` levels deep."""
    return [f"uresnet.depth={depth}", "uresnet.filters=2", "uresnet.blocks_per_layer=1", "uresnet.blocks_deepest=1",
            "uresnet.deepest_filters=4"]


def train_tiny_segmenter(out: Path, sample_path: Path, *overrides: str) -> Path:
    """``argonet train task=segment`` for one epoch on half the sample events, one torch thread; its checkpoint."""
    with one_torch_thread():
        assert main(["train", "task=segment", f"data.file={sample_path}", "data.normalise=log1p",
                     "data.split=[0.5,0.5,0.0]", "loss.balance=even", "run.epochs=1", f"run.output_dir={out}",
                     *overrides, *QUIET]) == 0
    return out / "checkpoint.pt"
