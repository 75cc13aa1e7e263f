"""Head-only training of a frozen backbone, two ways side by side in one run: the notebook way and cached features.

The notebook way runs the whole frozen network on every image in every epoch (backbone
parameters frozen, ``model.train()`` as in the workshop notebooks) and validates the same way;
argonet's head stage runs the backbone once over the training and validation images, then
trains the head on the cached features. Both start from the same weights and head, see the
same batches in the same order with the same optimiser, for the same number of epochs.

    python benchmarks/bench_transfer_head.py                                   # simulates 800 events
    python benchmarks/bench_transfer_head.py --data events.h5 --checkpoint runs/transfer/baseline/best.pt

Printed: seconds per way (the cached way including its one pass of the backbone), validation
accuracy after every epoch for both, and the speed-up to the notebook way's final validation accuracy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
import tempfile
import time

import torch
from torch.nn import functional as F

from argonet.conf.data import DataConfig
from argonet.conf.train import ModelConfig
from argonet.data.datasets import ClassificationDataset
from argonet.data.loader import build_loader, set_epoch, split_entries
from argonet.models.classifiers import FeatureHead
from argonet.models.freezing import freeze
from argonet.train.distributed import DistInfo, make_loader
from argonet.train.features import cache_features
from argonet.train.model_setup import build_model

CLASSES = ["CCQE", "CCRES", "NCQE", "NCRES"]


def simulated_events(folder: Path, n_events: int) -> str:
    """A fresh sample of the four interaction classes (vertex crops), written with ``argonet simulate``."""
    from argonet.conf.compose import compose
    from argonet.recipes.simulate import simulate as run
    from argonet.conf.sim import SimulateConfig

    path = folder / "events.h5"
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        run(compose("simulate", SimulateConfig, [f"n_events={n_events}", f"output={path}", "progress=false"]))
    return str(path)


def accuracy(model: torch.nn.Module, batches) -> float:
    """Fraction of correct arg-max predictions over ``batches`` of (inputs, labels)."""
    right = total = 0
    with torch.inference_mode():
        for x, y in batches:
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
    return right / total


def pairs(loader):
    """(image, label) pairs of an argonet image loader, channels_last."""
    for batch in loader:
        yield batch["image"].contiguous(memory_format=torch.channels_last), batch["label"]


def train_head(model, head_params, train_batches, val_batches, epochs: int, lr: float, set_epoch_of, notebook: bool):
    """The loop both ways share: SGD on the head only; validation accuracy after every epoch."""
    opt = torch.optim.SGD(head_params, lr=lr, momentum=0.9)
    history = []
    for epoch in range(epochs):
        set_epoch_of(epoch)
        model.train(notebook)      # the notebook way leaves batch norms in training mode
        for x, y in train_batches():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        model.eval()
        history.append(accuracy(model, val_batches()))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="larcv3 file of CCQE/CCRES/NCQE/NCRES events (default: simulate)")
    parser.add_argument("--events", type=int, default=800, help="events used (and simulated when --data is absent)")
    parser.add_argument("--checkpoint", help="baseline checkpoint whose backbone is frozen (default: random init)")
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--downsample", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data or simulated_events(Path(tmp), args.events)
        data = DataConfig(file=path, class_names=CLASSES, downsample=args.downsample, normalise="log1p",
                          batch_size=args.batch)
        dataset = ClassificationDataset.from_config(data)
        splits = split_entries(min(len(dataset), args.events), [0.75, 0.25, 0.0], seed=0)
        train = build_loader(dataset, data, splits["train"], train=True, rank=0, world_size=1)
        val = build_loader(dataset, data, splits["val"], rank=0, world_size=1)
        model_cfg = ModelConfig(name=args.model, checkpoint=args.checkpoint, replace_head=args.checkpoint is not None)
        model, _ = build_model(model_cfg, num_classes=len(CLASSES), in_chans=dataset.in_channels)
        model = model.to(memory_format=torch.channels_last)
        head = model.classifier_name
        freeze(model, [r".*"], unfreeze=[rf"^{head}\."])
        start_state = {k: v.clone() for k, v in model.state_dict().items()}
        print(f"{args.model} ({'backbone of ' + args.checkpoint if args.checkpoint else 'random backbone'}), "
              f"{len(splits['train'])} training / {len(splits['val'])} validation events of "
              f"3x{dataset.image_shape[0]}x{dataset.image_shape[1]}, {args.epochs} epochs, batch {args.batch}, "
              f"{args.threads} threads, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        t0 = time.perf_counter()
        notebook = train_head(model, model.get_classifier().parameters(), lambda: pairs(train), lambda: pairs(val),
                              args.epochs, args.lr, lambda e: set_epoch(train, e), notebook=True)
        notebook_s = time.perf_counter() - t0

        model.load_state_dict(start_state)
        t0 = time.perf_counter()
        features = {name: cache_features(model, pairs(loader)) for name, loader in (("train", train), ("val", val))}
        cache_s = time.perf_counter() - t0
        head_model = FeatureHead(model)
        feature_train = make_loader(features["train"], args.batch, train=True, seed=0, info=DistInfo())
        cached = train_head(head_model, model.get_classifier().parameters(), lambda: feature_train,
                            lambda: make_loader(features["val"], args.batch, train=False, seed=0, info=DistInfo()),
                            args.epochs, args.lr, lambda e: feature_train.sampler.set_epoch(e), notebook=False)
        cached_s = time.perf_counter() - t0

    print(f"  {'way':<34} {'seconds':>8} {'speed-up':>9}  final / best val acc")
    print(f"  {'notebook (frozen net every epoch)':<34} {notebook_s:8.1f} {1.0:8.2f}x  {notebook[-1]:.3f} / "
          f"{max(notebook):.3f}")
    print(f"  {'cached features (incl. one pass)':<34} {cached_s:8.1f} {notebook_s / cached_s:8.2f}x  "
          f"{cached[-1]:.3f} / {max(cached):.3f}   (backbone pass {cache_s:.1f} s)")
    print("  val accuracy per epoch, notebook: " + " ".join(f"{a:.3f}" for a in notebook))
    print("  val accuracy per epoch, cached:   " + " ".join(f"{a:.3f}" for a in cached))
    target = notebook[-1]
    reached = next((i for i, a in enumerate(cached) if a >= target - 0.005), None)
    if reached is None:
        print(f"  cached features did not reach the notebook's final {target:.3f} within {args.epochs} epochs")
    else:
        notebook_epoch_s = notebook_s / args.epochs
        cached_to_target = cache_s + (cached_s - cache_s) * (reached + 1) / args.epochs
        print(f"  to the notebook's final val accuracy {target:.3f} (within 0.005): cached after {reached + 1} "
              f"epochs, {cached_to_target:.1f} s vs {notebook_s:.1f} s ({notebook_s / cached_to_target:.1f}x; "
              f"one notebook epoch {notebook_epoch_s:.1f} s)")


if __name__ == "__main__":
    main()
