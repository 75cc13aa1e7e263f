"""``argonet iotest``: read batches exactly as training would and report events/s and MB/s.

    argonet iotest data.file=events.h5 data.downsample=2 run.minibatch_size=16 run.iterations=50

The dataset, the loader (workers, prefetch, pinned memory, sharding, shuffling by blocks) and
the transforms are the ones training builds from the same ``data`` configuration; nothing is
computed on the batches, so the figures are the ceiling the input pipeline sets on training.
"""

from __future__ import annotations

import os
import statistics
import time

import torch

from argonet.conf.compose import echo
from argonet.conf.data import IotestConfig
from argonet.data.loader import build_dataset, build_loader, set_epoch
from argonet.errors import ConfigError


def _batch_bytes(batch: dict) -> int:
    """Bytes of every tensor in a batch."""
    return sum(v.element_size() * v.numel() for v in batch.values() if isinstance(v, torch.Tensor))


def _batch_events(batch: dict) -> int:
    """Number of events in a dense or sparse batch."""
    return len(batch["entry"])


def iotest(cfg: IotestConfig) -> dict:
    """Time ``run.iterations`` batches after ``run.warmup`` untimed ones; returns the figures."""
    echo("iotest", cfg)
    data, settings = cfg.data, cfg.run
    paths = data.paths()
    kind, extra = settings.dataset, {}
    if data.layout == "sparse" and kind in ("segmentation", "image"):    # the sparse batches of the same data
        kind, extra = "sparse_segmentation", ({} if kind == "segmentation" else {"labels": None})
    dataset = build_dataset(kind, data, **extra)
    loader = build_loader(dataset, data, train=True, batch_size=settings.minibatch_size)
    if len(loader) == 0:
        raise ConfigError("run.minibatch_size", f"{settings.minibatch_size} is more than the {len(dataset)} "
                          "events of the input")
    file_MB = sum(os.path.getsize(p) for p in paths) / 1e6
    print(f"iotest: {len(dataset)} events in {len(paths)} file(s) ({file_MB:.1f} MB), "
          f"dataset {kind}, {dataset.in_channels} x {dataset.image_shape[0]} x {dataset.image_shape[1]} "
          f"per event, minibatch {settings.minibatch_size}, workers {data.workers}", flush=True)
    times_s: list[float] = []
    n_events = n_bytes = 0
    epoch = 0
    batches = iter(loader)
    start = time.perf_counter()
    for i in range(settings.warmup + settings.iterations):
        try:
            batch = next(batches)
        except StopIteration:
            epoch += 1
            set_epoch(loader, epoch)
            batches = iter(loader)
            batch = next(batches)
        now = time.perf_counter()
        if i >= settings.warmup:
            times_s.append(now - start)
            n_events += _batch_events(batch)
            n_bytes += _batch_bytes(batch)
        del batch
        start = time.perf_counter()
    total_s = sum(times_s)
    result = {
        "events": n_events, "seconds": total_s, "events_per_s": n_events / total_s,
        "MB_per_s": n_bytes / 1e6 / total_s,
        "file_MB_per_s": file_MB / len(dataset) * n_events / total_s,
        "batch_ms_mean": 1e3 * statistics.fmean(times_s),
        "batch_ms_std": 1e3 * statistics.pstdev(times_s),
        "image_shape": [dataset.in_channels, *dataset.image_shape],
    }
    print(f"{n_events} events in {settings.iterations} batches: {result['events_per_s']:.1f} events/s, "
          f"{result['MB_per_s']:.0f} MB/s of batch tensors ({result['file_MB_per_s']:.1f} MB/s of file), "
          f"{result['batch_ms_mean']:.1f} ± {result['batch_ms_std']:.1f} ms per batch")
    return result
