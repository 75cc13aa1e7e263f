"""Latency of exported models: PyTorch eager next to TorchScript and ONNX Runtime, in one run.

Every model is built with random weights (latency does not depend on them), exported by
``argonet.recipes.export.export_model`` (what ``argonet export`` writes: ONNX by the default
exporter, TorchScript by tracing) and timed at batch 1 and 16 with 1 and 2 threads (torch intra-op
threads; ONNX Runtime's intra-op threads). Per case: median wall time per batch over the timed
repeats, and the CPU-seconds of this process (all its threads) per batch, so that a loaded machine
shows as wall > CPU. Inputs are the sizes argonet trains at on a CPU: vertex crops of 256 x 256
down-sampled 4 x 4 (3 x 64 x 64) for the classifiers, the cosmic-tagging study's UResNet on
3 x 256 x 160, 20 x 20 jet images and 11 jet features. The last line is the whole table as JSON.

    python benchmarks/bench_export.py                                # every model, 1 and 2 threads
    python benchmarks/bench_export.py --models smallcnn resnet18 --threads 1 --min-seconds 0.5
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from argonet.models.registry import get_model
from argonet.recipes.export import TrainedModel, export_model
from argonet.recipes.exported import load_exported

STUDY_URESNET = dict(depth=5, filters=8, blocks_per_layer=1, blocks_deepest=2, deepest_filters=64)
#: name → (task, builder options, input spec)
MODELS = {
    "smallcnn": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "resnet18": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "resnet34": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "resnet50": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "resnet18-views": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "googlenet": ("classify", {}, {"in_chans": 3, "image_shape": [64, 64]}),
    "uresnet": ("segment", STUDY_URESNET, {"in_chans": 3, "image_shape": [256, 160]}),
    "jetcnn": ("classify", {}, {"in_chans": 1, "image_shape": [20, 20]}),
    "jetcnn-classroom": ("classify", {}, {"in_chans": 1, "image_shape": [20, 20]}),
    "jetmlp": ("classify", {}, {"in_chans": 11, "image_shape": [11]}),
}


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (or the platform's word for it)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def time_runs(run, x: torch.Tensor, min_seconds: float, min_repeats: int) -> tuple[float, float, int]:
    """(median wall s, mean CPU s per call, repeats) of ``run(x)`` after two warm-up calls."""
    for _ in range(2):
        run(x)
    walls, cpu0, start = [], time.process_time(), time.perf_counter()
    while len(walls) < min_repeats or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        run(x)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls), (time.process_time() - cpu0) / len(walls), len(walls)


def bench_model(name: str, threads: list[int], batches: list[int], args: argparse.Namespace, tmp: Path) -> list[dict]:
    """Rows of one model: every runtime x thread count x batch size."""
    task, options, spec = MODELS[name]
    torch.manual_seed(0)
    n_classes = 3 if task == "segment" else 4
    model = get_model(name, num_classes=n_classes, in_chans=spec["in_chans"], **options).eval()
    trained = TrainedModel(model, name, task, [f"c{i}" for i in range(n_classes)], spec, {}, options)
    runtimes = {"eager": model}
    for fmt in ("torchscript", "onnx"):
        result = export_model(trained, fmt, tmp / f"{name}.{fmt}", exporter=args.exporter, overwrite=True)
        runtimes[fmt] = result.path
    rows = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        loaded = {k: v if k == "eager" else load_exported(v, threads=n_threads)[0] for k, v in runtimes.items()}
        for batch in batches:
            dims = spec["image_shape"] if len(spec["image_shape"]) == 1 else [spec["in_chans"], *spec["image_shape"]]
            x = torch.rand(batch, *dims, generator=torch.Generator().manual_seed(1))
            for runtime, module in loaded.items():
                with torch.inference_mode():
                    wall, cpu, repeats = time_runs(module, x, args.min_seconds, args.min_repeats)
                rows.append({"model": name, "runtime": runtime, "threads": n_threads, "batch": batch,
                             "wall_ms": 1e3 * wall, "cpu_ms": 1e3 * cpu, "repeats": repeats})
                print(f"{name:>16} {runtime:>11} {n_threads:>7} {batch:>5} {1e3 * wall:>10.2f} {1e3 * cpu:>10.2f} "
                      f"{1e3 * wall / batch:>12.3f} {repeats:>7}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--exporter", default="dynamo", choices=["dynamo", "legacy"])
    parser.add_argument("--min-seconds", type=float, default=1.0, help="timed seconds per case at least")
    parser.add_argument("--min-repeats", type=int, default=3)
    args = parser.parse_args()
    cpu = cpu_name()
    print(f"CPU: {cpu}; torch {torch.__version__}; ONNX exporter {args.exporter}")
    print(f"{'model':>16} {'runtime':>11} {'threads':>7} {'batch':>5} {'wall ms':>10} {'CPU ms':>10} "
          f"{'wall ms/evt':>12} {'repeats':>7}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            rows += bench_model(name, args.threads, args.batches, args, Path(tmp))
    print(json.dumps({"benchmark": "export", "cpu": cpu, "torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
