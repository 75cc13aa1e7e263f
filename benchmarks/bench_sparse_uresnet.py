"""Sparse UResNet at full resolution next to the dense UResNet at 4 x 4 and 8 x 8, in one run, on simulated
SBND full readouts (neutrino + cosmics, 3 x 2048 x 1280, 20-50 k active pixels per plane).

Each network runs in its own fresh process with one torch thread, on events read into memory
first: CPU-seconds per event of inference (forward + argmax, what ``argonet inference`` does)
and of a training step (the segment task's loss and counts, backward, AdamW step; batch of one
event), best of the timed events, and the process's peak resident memory (torch included;
``peak_rss_gb``), which is also split into the resident memory before the network is built
(imports and the events read: ``base_rss_gb``) and the rest of the peak, what the network, its
optimiser state and its steps add (``model_peak_rss_gb``).
Networks: CosmicTagger's layout (depth 6, 16 filters, +16 per level) for the sparse net and
the dense net at 4 x 4 (3 x 512 x 320); depth 5 at 8 x 8 (3 x 256 x 160, whose sizes depth 6
cannot halve). The sparse net and the dense net at 4 x 4 also run under bf16 autocast where the
CPU has native bf16 (the top-level figures are the sparse net's bf16 ones there).

Accuracy: ``max_abs_err_vs_dense`` is the largest logit difference, in fp32, between the sparse
net and the same weights in the dense UResNet read at the active sites (every layer outside the
deepest block masked to them) on the events down-sampled 8 x 8; the bf16 rows give the largest
logit difference to fp32 and the fraction of active pixels whose predicted class changes.

Loading: sparse batches (``data.layout`` of sparse-uresnet) per second next to a plain h5py loop
that reads the same charge and label voxels of each event into (N, 4) coordinates.

    python benchmarks/bench_sparse_uresnet.py --quick          # 1 event simulated, 1 timed step (< 3 min)
    python benchmarks/bench_sparse_uresnet.py --file events.h5 --events 8

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
from pathlib import Path
import resource
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch

NETS = {"sparse": ("sparse-uresnet", 1, dict(depth=6)), "dense4": ("uresnet", 4, dict(depth=6)),
        "dense8": ("uresnet", 8, dict(depth=5))}
CLASSES = ("background", "cosmic", "neutrino")


def _peak_gb() -> float:
    """Largest resident set of this process so far, GB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _current_gb() -> float:
    """Resident memory of this process now, GB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def _batches(path: str, net: str, n: int) -> list[dict]:
    """The first ``n`` events of ``path`` as batches of one, as the network's data path makes them."""
    from argonet.conf.data import DataConfig
    from argonet.conf.segment import segment_dataset
    from argonet.data.loader import build_dataset

    name, factor, _ = NETS[net]
    dataset = build_dataset(segment_dataset(name)[0], DataConfig(file=path, downsample=factor, normalise="log1p"))
    return [dataset.read_batch([i]) for i in range(n)]


def _worker(args: argparse.Namespace, net: str, bf16: bool, queue) -> None:
    """One network in a fresh process: CPU-s per event (infer, train), peak GB, into ``queue``."""
    from argonet.models.registry import get_model
    from argonet.sim.jit_cache import skip_other_numba_extensions
    from argonet.tasks.segment import SegmentTask, predict_batch
    from argonet.train.runtime import skip_gpu_compiler_without_gpu

    skip_other_numba_extensions()       # as the argonet command does
    skip_gpu_compiler_without_gpu()     # as argonet's optimiser builder does
    torch.set_num_threads(1)
    torch.manual_seed(0)
    name, _, options = NETS[net]
    batches = _batches(args.file, net, args.events)
    base_gb = _current_gb()
    model = get_model(name, num_classes=3, in_chans=3, **options)
    task = SegmentTask(CLASSES, balance="light")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    cpu = torch.device("cpu")
    infer, train = [], []
    for i in range(args.warmup + args.steps):
        batch = batches[i % len(batches)]
        model.eval()
        start = time.process_time()
        with autocast:
            predict_batch(model, batch, cpu)
        infer.append(time.process_time() - start)
        model.train()
        start = time.process_time()
        with autocast:
            out = task(model, batch)
        out["loss"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        train.append(time.process_time() - start)
    pixels = float(np.mean([len(b["coords"]) if "coords" in b else int((b["image"] != 0).sum()) for b in batches]))
    queue.put({"infer": min(infer[args.warmup:]), "train": min(train[args.warmup:]), "peak_gb": _peak_gb(),
               "model_peak_gb": _peak_gb() - base_gb, "base_gb": base_gb, "active_pixels_per_event": pixels})


def measure(args: argparse.Namespace, net: str, bf16: bool = False) -> dict:
    """Run one network in a spawned process and return its figures."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(args, net, bf16, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def accuracy(args: argparse.Namespace) -> dict:
    """Sparse vs masked dense logits (fp32, 8 x 8 events) and bf16 vs fp32 of the sparse net at full resolution."""
    from torch.nn import functional as F

    from argonet.models.registry import get_model
    from argonet.models.uresnet import UResNet
    from argonet.tasks.segment import sparse_logits

    torch.manual_seed(1)
    sparse = get_model("sparse-uresnet", num_classes=3, in_chans=3, depth=5).eval()
    state = sparse.state_dict()
    state.pop("sparse_layout")
    dense = UResNet(3, 3, depth=5).eval()
    dense.load_state_dict(state)
    err = 0.0
    with torch.inference_mode():
        for batch in _batches(args.file, "dense8", min(args.events, 2)):
            c = batch["image"].nonzero()
            sparse_batch = {"coords": c, "features": batch["image"][tuple(c.t())][:, None], "entry": batch["entry"],
                            "shape": torch.tensor(batch["image"].shape[-2:])}
            m = (batch["image"] != 0).reshape(3, 1, *batch["image"].shape[-2:]).float()
            masks = {}
            for _ in range(6):
                masks[tuple(m.shape[-2:])] = m
                m = F.max_pool2d(m, 2)
            def keep_active(module, inputs, out, masks=masks):
                return out * masks[tuple(out.shape[-2:])] if out.ndim == 4 and out.shape[0] == 3 else None

            hooks = [module.register_forward_hook(keep_active)
                     for n, module in dense.named_modules() if n and not n.startswith("deepest")]
            want = dense(batch["image"]).permute(0, 1, 3, 4, 2)[tuple(c.t())]
            for h in hooks:
                h.remove()
            err = max(err, float((sparse_logits(sparse, sparse_batch) - want).abs().max()))
        full = get_model("sparse-uresnet", num_classes=3, in_chans=3, depth=6).eval()
        batch = _batches(args.file, "sparse", 1)[0]
        ref = sparse_logits(full, batch)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = sparse_logits(full, batch).float()
    return {"max_abs_err_vs_dense": err, "bf16_max_abs_err_vs_fp32": float((low - ref).abs().max()),
            "bf16_logit_scale": float(ref.abs().max()),
            "bf16_class_changed_fraction": float((low.argmax(1) != ref.argmax(1)).float().mean())}


def loading(args: argparse.Namespace) -> dict:
    """Sparse batches per second from the dataset and from a plain h5py loop over the same voxels."""
    from argonet.conf.data import DataConfig
    from argonet.data.loader import build_dataset

    n = args.events
    dataset = build_dataset("sparse_segmentation", DataConfig(file=args.file))
    best_ours = best_plain = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(n):
            dataset.read_batch([i])
        best_ours = min(best_ours, time.perf_counter() - start)
        start = time.perf_counter()
        with h5py.File(args.file, "r") as f:
            for i in range(n):
                parts = []
                for producer in ("sbndwire", "sbnd_cosmicseg"):
                    group = f[f"Data/sparse2d_{producer}_group"]
                    first, count = group["extents"][i]
                    extents = group["voxel_extents"][first:first + count]
                    voxels = group["voxels"][extents[0]["first"]:extents[-1]["first"] + extents[-1]["N"]]
                    plane = np.repeat(np.arange(count), extents["N"])
                    wire, tick = np.divmod(voxels["id"].astype(np.int64), 1280)
                    parts.append((np.stack([np.zeros_like(plane), plane, wire, tick], 1), voxels["value"]))
                torch.from_numpy(parts[0][0]), torch.from_numpy(parts[0][1]), torch.from_numpy(parts[1][1])
        best_plain = min(best_plain, time.perf_counter() - start)
    return {"load_events_per_s": n / best_ours, "plain_h5py_events_per_s": n / best_plain}


def simulate(n: int, folder: Path) -> str:
    """``n`` simulated SBND full readouts (neutrino + cosmics) written with ``argonet simulate``."""
    path = folder / f"sbnd_full_{n}.h5"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "argonet.cli", "simulate", "generator=interactions",
                        "generator.cosmics=true", "image.mode=full", f"n_events={n}", f"output={path}",
                        "progress=false"], check=True, stdout=subprocess.DEVNULL)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="larcv3 file of SBND full readouts (default: simulate --events events)")
    parser.add_argument("--events", type=int, default=4, help="events read (and simulated when no --file)")
    parser.add_argument("--steps", type=int, default=3, help="timed events per network")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--cache", default=tempfile.gettempdir(), help="folder of the simulated file")
    parser.add_argument("--quick", action="store_true", help="1 event, 1 timed step after the warm-up")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    if args.quick:
        args.events, args.steps = 1, 1
    wall = time.perf_counter()
    if args.file is None:
        args.file = simulate(args.events, Path(args.cache))
    from argonet.train.runtime import cpu_has_native_bf16

    where = f"CPU {torch.backends.cpu.get_cpu_capability()}, 1 thread per process, load average " \
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, torch {torch.__version__}"
    print(f"{args.file}: {args.events} events, best of {args.steps} timed after {args.warmup} warm-up; {where}")
    rows = {"sparse": measure(args, "sparse")}
    if cpu_has_native_bf16():
        rows["sparse_bf16"] = measure(args, "sparse", bf16=True)
    rows["dense4"] = measure(args, "dense4")
    if cpu_has_native_bf16():
        rows["dense4_bf16"] = measure(args, "dense4", bf16=True)
    rows["dense8"] = measure(args, "dense8")
    print(f"{'network':>12} {'active px/event':>16} {'infer CPU-s/ev':>15} {'train CPU-s/ev':>15} {'peak GB':>8} "
          f"{'base GB':>8} {'model GB':>9}")
    for name, r in rows.items():
        print(f"{name:>12} {r['active_pixels_per_event']:16.0f} {r['infer']:15.3f} {r['train']:15.3f} "
              f"{r['peak_gb']:8.2f} {r['base_gb']:8.2f} {r['model_peak_gb']:9.2f}", flush=True)
    acc = accuracy(args)
    load = loading(args)
    print(f"sparse vs masked dense (fp32, 8x8 events): max |logit diff| {acc['max_abs_err_vs_dense']:.2e}; "
          f"bf16 vs fp32 at full resolution: max |logit diff| {acc['bf16_max_abs_err_vs_fp32']:.3f} (logits up to "
          f"{acc['bf16_logit_scale']:.1f}), class changed on {100 * acc['bf16_class_changed_fraction']:.3f} % of "
          f"active pixels")
    print(f"loading: sparse batches {load['load_events_per_s']:.1f} events/s, plain h5py loop "
          f"{load['plain_h5py_events_per_s']:.1f} events/s")
    best = rows.get("sparse_bf16", rows["sparse"])
    summary = {"file": args.file, "events": args.events, "cpu": where, "precision": "bf16" if "sparse_bf16" in rows
               else "fp32", "infer_cpu_s_per_event": best["infer"], "train_cpu_s_per_event": best["train"],
               "peak_rss_gb": best["peak_gb"], "base_rss_gb": best["base_gb"],
               "model_peak_rss_gb": best["model_peak_gb"], "fp32_infer_cpu_s_per_event": rows["sparse"]["infer"],
               "fp32_train_cpu_s_per_event": rows["sparse"]["train"], "fp32_peak_rss_gb": rows["sparse"]["peak_gb"],
               "active_pixels_per_event": rows["sparse"]["active_pixels_per_event"],
               **{f"{k}_{m}_cpu_s_per_event": rows[k][m] for k in rows if k.startswith("dense")
                  for m in ("infer", "train")},
               "dense4_peak_rss_gb": rows["dense4"]["peak_gb"], "dense8_peak_rss_gb": rows["dense8"]["peak_gb"],
               **acc, **load, "wall_s": time.perf_counter() - wall}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
