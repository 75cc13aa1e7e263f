"""UResNet segmentation speed and memory: argonet's engine path next to a plain PyTorch loop, in one run.

Both train (and run inference with) the same network on the same dense in-memory batches, at
two image sizes. "ours" is what ``argonet train task=segment`` runs (the engine's
``train_one_epoch`` with the SegmentTask: weighted loss and per-image confusion counts) and what
``argonet inference`` runs (``predict_labels`` under the engine's precision settings); "plain" is
the loop most people write (forward, cross-entropy, backward, step; forward + argmax). Each
contender runs in its own fresh process so that its peak memory is its own: peak memory per
image is the growth of the resident set (CPU) or of allocated GPU memory over the contender's
start, divided by the batch size. Timings alternate between contenders; the best of the repeats
is kept. On the CPU, images per CPU-second of the worker are printed beside wall-clock images/s
(with one thread they barely move when other jobs share the machine). With CUDA, or on a CPU
with native bf16, bf16 autocast and bf16 + channels_last variants of both contenders are added.

    python benchmarks/bench_uresnet.py                         # 3x256x160 and 3x512x320, batch 2, 1 thread
    python benchmarks/bench_uresnet.py --batch 8 --sizes 512x320 1024x640 --net default
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

#: the study network (docs/studies/cosmic_tagging.md) and CosmicTagger's defaults
NETS = {"study": dict(depth=5, filters=8, blocks_per_layer=1, blocks_deepest=2, deepest_filters=64),
        "default": dict(depth=6)}


class Batches(Dataset):
    """Random charge and labels, ``n`` events of 3 planes, with the occupancy of a cosmic-ray event."""

    def __init__(self, n: int, shape: tuple[int, int], seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.labels = (torch.rand(n, 3, *shape, generator=g) < 0.02).long() + \
            (torch.rand(n, 3, *shape, generator=g) < 0.002).long()
        self.images = torch.rand(n, 3, *shape, generator=g) * (self.labels > 0)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        return {"image": self.images[i], "label": self.labels[i]}


def _rss_mb() -> float:
    """Resident set of this process now, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    """Largest resident set of this process so far, MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _worker(args: argparse.Namespace, contender: str, mode: str, shape: tuple[int, int], variant: str, queue) -> None:
    """One contender in a fresh process: (images/s, images/CPU-s, peak MB per image) into ``queue``."""
    from argonet.conf.train import OptimConfig
    from argonet.models.uresnet import UResNet
    from argonet.tasks.segment import SegmentTask, predict_labels
    from argonet.train.engine import Loop, Progress, train_one_epoch
    from argonet.train.optim import build_optimizer, build_scheduler
    from argonet.train.runtime import Precision, to_device

    torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available() and not args.cpu
    device = torch.device("cuda" if cuda else "cpu")
    dtype = torch.bfloat16 if variant.startswith("bf16") else None
    channels_last = variant.endswith("channels_last")
    torch.manual_seed(0)
    data = Batches(args.batch * (args.batches + args.warmup), shape)
    model = UResNet(3, 3, **NETS[args.net]).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    precision = Precision(device, dtype, channels_last)
    base = torch.cuda.memory_allocated() if cuda else _rss_mb()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    n_timed = args.batch * args.batches
    wall = cpu = 0.0
    if mode == "train" and contender == "ours":
        cfg = OptimConfig(name="adamw", lr=1e-3)
        opt = build_optimizer(model, cfg)
        loader = DataLoader(data, batch_size=args.batch, shuffle=True, generator=torch.Generator().manual_seed(0))
        sched = build_scheduler(opt, cfg, len(loader), 1)
        task = SegmentTask(("background", "cosmic", "neutrino"), balance="light")
        train_one_epoch(model, task, loader, opt, sched, Loop(precision, max_steps=args.warmup), Progress())
        _sync(cuda)
        wall, cpu = time.perf_counter(), time.process_time()
        progress = Progress(epoch_batches=args.warmup)
        train_one_epoch(model, task, loader, opt, sched, Loop(precision), progress)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model.train(mode == "train")
        for i in range(args.warmup + args.batches):
            if i == args.warmup:
                _sync(cuda)
                wall, cpu = time.perf_counter(), time.process_time()
            batch = data[slice(i * args.batch, (i + 1) * args.batch)]
            if contender == "ours":                       # what ``argonet inference`` does per batch
                image = to_device(batch["image"], device, channels_last)
                with precision.autocast():
                    predict_labels(model, image).cpu()
                continue
            x, y = batch["image"].to(device), batch["label"].to(device)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                if mode == "train":
                    logits = model(x)
                    loss = sum(F.cross_entropy(logits[:, p].float(), y[:, p]) for p in range(3))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    loss.item()
                else:
                    with torch.inference_mode():
                        model(x).argmax(2).cpu()
    _sync(cuda)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = (torch.cuda.max_memory_allocated() - base) / 1e6 if cuda else _peak_mb() - base
    queue.put((n_timed / wall, n_timed / cpu, max(peak, 0.0) / args.batch))


def _sync(cuda: bool) -> None:
    if cuda:
        torch.cuda.synchronize()


def measure(args, contender: str, mode: str, shape: tuple[int, int], variant: str) -> tuple[float, float, float]:
    """Run one contender in a spawned process and return its figures."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(args, contender, mode, shape, variant, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"the {contender} {mode} run ({variant}, {shape}) failed with exit code {proc.exitcode}")
    return queue.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["256x160", "512x320"], help="wires x ticks per plane")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--batches", type=int, default=3, help="timed batches")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--net", choices=sorted(NETS), default="study")
    parser.add_argument("--cpu", action="store_true", help="stay on the CPU even where CUDA is present")
    args = parser.parse_args()
    cuda = torch.cuda.is_available() and not args.cpu
    from argonet.train.runtime import cpu_has_native_bf16
    # bf16 only where it runs natively: a GPU, or a CPU with AVX512-BF16/AMX (where the engine's
    # run.amp=auto turns it on)
    variants = ["fp32", "bf16", "bf16+channels_last"] if cuda or cpu_has_native_bf16() else ["fp32"]
    where = torch.cuda.get_device_name() if cuda else f"CPU ({torch.backends.cpu.get_cpu_capability()}), " \
        f"{args.threads} thread(s), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"UResNet '{args.net}' {NETS[args.net]}, batch {args.batch}, {args.batches} timed batches, best of "
          f"{args.repeats}, on {where}")
    print(f"{'planes':>12} {'variant':>19} {'mode':>6} | {'images/s':>17} | {'images/CPU-s':>17} | "
          f"{'peak MB/image':>17}")
    print(f"{'':>12} {'':>19} {'':>6} | {'ours':>8} {'plain':>8} | {'ours':>8} {'plain':>8} | {'ours':>8} {'plain':>8}")
    for size in args.sizes:
        shape = tuple(int(n) for n in size.split("x"))
        for variant in variants:
            for mode in ("train", "infer"):
                best = {c: (0.0, 0.0, float("inf")) for c in ("ours", "plain")}
                for _ in range(args.repeats):
                    for contender in best:
                        rate, cpu_rate, mem = measure(args, contender, mode, shape, variant)
                        old = best[contender]
                        best[contender] = (max(old[0], rate), max(old[1], cpu_rate), min(old[2], mem))
                (o, oc, om), (p, pc, pm) = best["ours"], best["plain"]
                print(f"{'3x' + size:>12} {variant:>19} {mode:>6} | {o:8.2f} {p:8.2f} | {oc:8.2f} {pc:8.2f} | "
                      f"{om:8.0f} {pm:8.0f}", flush=True)


if __name__ == "__main__":
    main()
