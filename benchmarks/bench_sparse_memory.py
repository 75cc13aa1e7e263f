"""Memory of sparse UResNet training over many different batches: GEMMs in row pieces against one GEMM per call.

In bf16 on a CPU, oneDNN builds and keeps a GEMM kernel for every new shape; sparse batches change the row count
of every GEMM with every step. ``argonet.models.sparse.gemm`` cuts varying rows into pieces of three fixed
sizes; the baseline runs each GEMM whole, as before. Both train the same network (the cosmic-tagging study's:
depth 5, 8 filters) from the same seed for ``--steps`` steps of ``--batch`` different events each (bf16 autocast
where the CPU has native bf16, else fp32, where both run the same code), one torch thread, each in its own fresh
process: peak resident memory and CPU-seconds per event, side by side.

    python benchmarks/bench_sparse_memory.py --file events.h5 --steps 25 --batch 4
    python benchmarks/bench_sparse_memory.py --steps 6 --batch 2        # simulates the 12 events it needs

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
from pathlib import Path
import resource
import sys
import tempfile
import time

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_sparse_uresnet import CLASSES, simulate  # noqa: E402

NET = dict(depth=5, filters=8, blocks_per_layer=1, blocks_deepest=2, deepest_filters=64)


def _worker(args: argparse.Namespace, pieces: bool, queue) -> None:
    """Train in a fresh process; put peak GB and CPU-s per event into ``queue``."""
    from argonet.conf.data import DataConfig
    from argonet.conf.segment import segment_dataset
    from argonet.data.loader import build_dataset
    from argonet.models.registry import get_model
    from argonet.models.sparse import gemm
    from argonet.sim.jit_cache import skip_other_numba_extensions
    from argonet.tasks.segment import SegmentTask
    from argonet.train.runtime import cpu_has_native_bf16, skip_gpu_compiler_without_gpu

    skip_other_numba_extensions()
    skip_gpu_compiler_without_gpu()
    if not pieces:
        gemm._piecewise = lambda x: False          # the baseline: every GEMM whole
    torch.set_num_threads(1)
    torch.manual_seed(0)
    dataset = build_dataset(segment_dataset("sparse-uresnet")[0],
                            DataConfig(file=args.file, downsample=[1, 1], normalise="log1p"))
    model = get_model("sparse-uresnet", num_classes=3, in_chans=3, **NET)
    task = SegmentTask(CLASSES, balance="light")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    bf16 = cpu_has_native_bf16()
    cpu_s = 0.0
    for step in range(args.steps):
        batch = dataset.read_batch(list(range(step * args.batch, (step + 1) * args.batch)))
        start = time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = task(model, batch)
        out["loss"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        cpu_s += time.process_time() - start
        del out, batch
    queue.put({"peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
               "train_cpu_s_per_event": cpu_s / (args.steps * args.batch), "precision": "bf16" if bf16 else "fp32"})


def measure(args: argparse.Namespace, pieces: bool) -> dict:
    """One training in a spawned process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(args, pieces, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="larcv3 file of SBND full readouts (default: simulate the events needed)")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--cache", default=tempfile.gettempdir(), help="folder of the simulated file")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.file is None:
        args.file = simulate(args.steps * args.batch, Path(args.cache))
    where = (f"CPU {torch.backends.cpu.get_cpu_capability()}, 1 thread per process, load average "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, torch {torch.__version__}")
    print(f"{args.file}: {args.steps} steps of {args.batch} different events; {where}")
    rows = {"pieces": measure(args, True), "whole": measure(args, False)}
    for name, r in rows.items():
        print(f"{name:>7}: peak {r['peak_rss_gb']:.2f} GB, {r['train_cpu_s_per_event']:.2f} CPU-s per event "
              f"({r['precision']})", flush=True)
    print(json.dumps({"file": args.file, "steps": args.steps, "batch": args.batch, "cpu": where,
                      **{f"{k}_{name}": v for name, r in rows.items() for k, v in r.items()}}))


if __name__ == "__main__":
    main()
