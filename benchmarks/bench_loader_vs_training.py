"""Is data loading ever the bottleneck? Load rate vs training consumption, side by side, one core.

    python benchmarks/bench_loader_vs_training.py [--events 256] [--batch 16]

Simulates vertex-crop neutrino events (3 x 256 x 256) to a temporary larcv3 file, then measures
(a) events/s through argonet's classification dataset and DataLoader (no workers), and (b) images/s
of a ResNet-18 training step (forward, backward, SGD) on the same batches. The ratio (a)/(b) says how
many times faster than training the loading runs: above 1 the loader is never the bottleneck.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from argonet.cli.main import main as argonet  # noqa: E402
from argonet.conf.data import DataConfig  # noqa: E402
from argonet.data.datasets import ClassificationDataset  # noqa: E402
from argonet.data.loader import build_loader  # noqa: E402
from argonet.models.registry import get_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crops.h5"
        assert argonet(["simulate", f"n_events={args.events}", "progress=false", f"output={path}"]) == 0
        cfg = DataConfig(file=str(path), batch_size=args.batch, normalise="log1p")
        dataset = ClassificationDataset(str(path), normalise="log1p")
        loader = build_loader(dataset, cfg, train=False)
        start = time.perf_counter()
        batches = [b for b in loader]
        load_s = time.perf_counter() - start
        n_loaded = sum(len(b["label"]) for b in batches)
        model = get_model("resnet18", num_classes=len(dataset.class_names), in_chans=dataset.in_channels)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()
        model.train()
        times = []
        for step in range(args.steps + 1):
            b = batches[step % len(batches)]
            t0 = time.perf_counter()
            loss = loss_fn(model(b["image"]), b["label"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step:                       # the first step warms up
                times.append(time.perf_counter() - t0)
        train_rate = args.batch * len(times) / sum(times)
    load_rate = n_loaded / load_s
    print(f"(a) loading: {load_rate:8.1f} events/s  ({n_loaded} events, 3 x 256 x 256, batch {args.batch}, 0 workers)")
    print(f"(b) training ResNet-18: {train_rate:8.1f} images/s  (forward + backward + SGD, batch {args.batch})")
    print(f"ratio load / training consumption: {load_rate / train_rate:.0f}x  -> the loader "
          f"{'is never' if load_rate > train_rate else 'IS'} the bottleneck on one core")


if __name__ == "__main__":
    main()
