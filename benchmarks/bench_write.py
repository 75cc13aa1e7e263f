"""Writing speed of small events to a larcv3 file: argonet's writer beside plain h5py, in one run.

    python benchmarks/bench_write.py [--events 1000] [--pixels 100] [--repeats 3]

Synthetic events (3 planes of 64 x 96, ``--pixels`` charge pixels per plane with two label
products, 5 particles, neutrino truth) are written
  (a) by argonet: ``write_events`` (checks, larcv3 tables, particle conversion, truth, atomic rename);
  (b) by a plain h5py baseline: the same voxel rows (id, value) of the three sparse2d products,
      concatenated once and stored in one gzip-1 chunked table per product with its extents:
      the floor for the voxel bytes, without particles, metas or checks.
Both alternate for ``--repeats`` rounds (best kept), so load on the machine hurts both alike.
Times are wall seconds and this process's CPU seconds (what one core spends, robust to other load).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from argonet.event import PARTICLE_DTYPE, Event, ImageMeta, SparseImage, Truth  # noqa: E402
from argonet.io import write_events  # noqa: E402

SHAPE = (64, 96)


def small_events(n_events: int, pixels: int, seed: int = 0) -> list[Event]:
    """Small events with charge, two label products, 5 particles and neutrino truth."""
    rng = np.random.default_rng(seed)
    events = []
    for number in range(n_events):
        products = {"charge": [], "semantic": [], "kind": []}
        for plane in range(3):
            meta = ImageMeta(plane, SHAPE, (SHAPE[0] * 0.3, SHAPE[1] * 0.08), (0.0, 0.0))
            index = np.sort(rng.choice(SHAPE[0] * SHAPE[1], pixels, replace=False)).astype(np.uint64)
            products["charge"].append(SparseImage(meta, index, rng.gamma(2.0, 20.0, pixels).astype(np.float32)))
            products["semantic"].append(SparseImage(meta, index, rng.integers(0, 3, pixels).astype(np.float32)))
            products["kind"].append(SparseImage(meta, index, rng.integers(0, 6, pixels).astype(np.float32)))
        particles = np.zeros(5, PARTICLE_DTYPE)
        particles["track_id"] = np.arange(1, 6)
        particles["parent_id"] = [0, 0, 1, 2, 3]
        particles["pdg"] = 13
        particles["process"] = b"primary"
        truth = Truth("CCQE", 14, 1.0, 0, 1001, (0.0, 0.0, 0.0), 0.0, 2)
        events.append(Event(products["charge"], products["semantic"], products["kind"], particles, truth,
                            run=1, subrun=0, event=number))
    return events


def plain_h5py(path: Path, events: list[Event]) -> None:
    """The baseline: each sparse2d product's voxels concatenated and written as one table."""
    voxel_dtype = np.dtype([("id", np.uint64), ("value", np.float32)])
    with h5py.File(path, "w") as h5:
        for name in ("charge", "semantic", "kind"):
            images = [image for event in events for image in getattr(event, name)]
            rows = np.empty(sum(len(i.index) for i in images), voxel_dtype)
            rows["id"] = np.concatenate([i.index for i in images])
            rows["value"] = np.concatenate([i.value for i in images])
            group = h5.create_group(name)
            group.create_dataset("voxels", data=rows, chunks=(16384,), maxshape=(None,),
                                 compression="gzip", compression_opts=1)
            group.create_dataset("voxel_extents", data=np.array([len(i.index) for i in images], np.int64),
                                 chunks=(1024,), maxshape=(None,), compression="gzip", compression_opts=1)


def cpu_name() -> str:
    """The CPU model as the kernel names it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


def timed(fn, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--pixels", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    events = small_events(args.events, args.pixels)
    print(f"{args.events} events, 3 planes x {args.pixels} pixels x 3 products; "
          f"CPU: {cpu_name()} ({os.cpu_count()} cores), load average {os.getloadavg()[0]:.1f}")
    best = {"(a) argonet write_events": (np.inf, np.inf), "(b) plain h5py, voxels only": (np.inf, np.inf)}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for name, fn in (("(a) argonet write_events", lambda p: write_events(p, events)),
                             ("(b) plain h5py, voxels only", lambda p: plain_h5py(p, events))):
                wall, cpu = timed(fn, Path(tmp) / f"{r}_{name[1]}.h5")
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    print(f"  {'writer':<30}{'wall s':>8}{'CPU s':>8}{'events/s':>10}{'events/CPU-s':>14}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:<30}{wall:>8.3f}{cpu:>8.3f}{args.events / wall:>10.0f}{args.events / cpu:>14.0f}")


if __name__ == "__main__":
    main()
