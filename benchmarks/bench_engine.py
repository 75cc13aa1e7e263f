"""Training speed of argonet's engine next to a plain PyTorch loop, on the CPU, in one run.

Both train the same network with the same batch size on the same in-memory images; timings
alternate between the contenders (repeats, best kept) so that a busy machine hurts both alike.
Besides wall-clock images/s, images per CPU-second of this process are printed: with one thread
that figure barely moves when other jobs share the machine (the load average is printed too).

    python benchmarks/bench_engine.py                       # resnet18, 3x128x128, batch 32
    python benchmarks/bench_engine.py --model smallcnn --size 128 --threads 2

Printed: images/s of the plain loop, of the engine in fp32, with channels_last, with bf16 autocast
(only where the CPU runs bf16 natively), and of head-only training with a frozen backbone,
recomputing the backbone every epoch versus training on cached features.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from argonet.conf.train import OptimConfig
from argonet.models.classifiers import FeatureHead
from argonet.models.freezing import freeze
from argonet.models.registry import get_model
from argonet.train.distributed import DistInfo, make_loader
from argonet.train.engine import Loop, Progress, train_one_epoch
from argonet.train.features import cache_features
from argonet.train.optim import build_optimizer, build_scheduler
from argonet.train.runtime import Precision, cpu_has_native_bf16


class Classify:
    """Cross-entropy task in the engine's contract."""

    def __call__(self, model, batch):
        images, labels = batch
        logits = model(images)
        return {"loss": F.cross_entropy(logits, labels), "output": logits, "target": labels}

    def metrics(self, outputs, targets):
        return {"accuracy": (outputs.argmax(1) == targets).float().mean().item()}


def images(n: int, size: int, seed: int = 0) -> TensorDataset:
    """Random 3-plane images and 3 class labels, in memory."""
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 3, size, size, generator=g), torch.randint(0, 3, (n,), generator=g))


class Clock:
    """Wall and process CPU time since start."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, n_images: int) -> tuple[float, float]:
        """(images per wall second, images per CPU second)."""
        return n_images / (time.perf_counter() - self.wall), n_images / (time.process_time() - self.cpu)


def plain_loop(args, data: TensorDataset) -> tuple[float, float]:
    """The loop most people write: (images/s, images/CPU-s) of one epoch after the warm-up batches."""
    torch.manual_seed(0)
    model = get_model(args.model, num_classes=3).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    loader = DataLoader(data, batch_size=args.batch, shuffle=True)
    seen, clock = 0, None
    for i, (x, y) in enumerate(loader):
        if i == args.warmup:
            clock, seen = Clock(), 0
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        seen += len(x)
    return clock.rates(seen)


def engine_loop(args, data: TensorDataset, *, channels_last: bool = False, dtype: torch.dtype | None = None,
                model=None, freeze_backbone: bool = False) -> tuple[float, float]:
    """argonet's ``train_one_epoch`` (what ``fit`` runs): (images/s, images/CPU-s) after warm-up batches."""
    torch.manual_seed(0)
    model = model or get_model(args.model, num_classes=3)
    if freeze_backbone:
        freeze(model, [r"^(?!fc\.)"])
    precision = Precision(torch.device("cpu"), dtype, channels_last)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    cfg = OptimConfig(lr=0.01, momentum=0.9, weight_decay=1e-4)
    opt = build_optimizer(model, cfg)
    loader = make_loader(data, args.batch, train=True, seed=0, info=DistInfo())
    sched = build_scheduler(opt, cfg, len(loader), 1)
    warm = Loop(precision, max_steps=args.warmup)
    train_one_epoch(model, Classify(), loader, opt, sched, warm, Progress())
    clock = Clock()
    train_one_epoch(model, Classify(), loader, opt, sched, Loop(precision), Progress())
    return clock.rates(len(data))


def best_of(repeats: int, runs: dict) -> dict[str, tuple[float, float]]:
    """Best (images/s, images/CPU-s) of each contender, contenders alternating within every repeat."""
    best = dict.fromkeys(runs, (0.0, 0.0))
    for _ in range(repeats):
        for name, run in runs.items():
            wall, cpu = run()
            best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
    return best


def head_only(args, data: TensorDataset) -> tuple[float, float, float]:
    """Seconds per epoch: frozen backbone recomputed, head on cached features; and the one-off cache pass."""
    torch.manual_seed(0)
    model = get_model(args.model, num_classes=3)
    per_epoch_full = len(data) / engine_loop(args, data, model=model, freeze_backbone=True)[0]
    start = time.perf_counter()
    cached = cache_features(model, DataLoader(data, batch_size=args.batch))
    cache_s = time.perf_counter() - start
    head = FeatureHead(model)
    per_epoch_cached = len(data) / engine_loop(args, cached, model=head)[0]
    return per_epoch_full, per_epoch_cached, cache_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--batches", type=int, default=12, help="timed batches per epoch")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = images(args.batch * (args.batches + args.warmup), args.size)
    native_bf16 = cpu_has_native_bf16()
    print(f"{args.model}, 3x{args.size}x{args.size}, batch {args.batch}, {args.threads} threads, "
          f"CPU {torch.backends.cpu.get_cpu_capability()}, native bf16: {native_bf16}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    runs = {"plain PyTorch loop": lambda: plain_loop(args, data),
            "engine, channels_last off": lambda: engine_loop(args, data),
            "engine (default channels_last)": lambda: engine_loop(args, data, channels_last=True)}
    if native_bf16:
        runs["engine bf16 + channels_last"] = lambda: engine_loop(args, data, channels_last=True,
                                                                  dtype=torch.bfloat16)
    best = best_of(args.repeats, runs)
    base_wall, base_cpu = best["plain PyTorch loop"]
    print(f"  {'':<28} {'images/s':>9} {'speed-up':>9} {'images/CPU-s':>13} {'speed-up':>9}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:<28} {wall:9.1f} {wall / base_wall:8.2f}x {cpu:13.1f} {cpu / base_cpu:8.2f}x")
    full_s, cached_s, cache_s = head_only(args, data)
    print(f"head-only training, frozen {args.model} backbone, {len(data)} images per epoch:")
    print(f"  backbone recomputed every epoch {full_s:8.3f} s/epoch")
    print(f"  cached features                 {cached_s:8.3f} s/epoch   {full_s / cached_s:6.1f}x "
          f"(one-off cache pass {cache_s:.2f} s)")


if __name__ == "__main__":
    main()
