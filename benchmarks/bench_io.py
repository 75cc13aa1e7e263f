"""Reading speed to dense and sparse training batches for CosmicTagger-sized events, argonet vs plain h5py.

    python benchmarks/bench_io.py [--events 96] [--batch 16] [--downsample 1 2 4] [--repeat 3]

A synthetic larcv3 file is written to a temporary folder with Larcv3Writer: 3 planes of
2048 wires x 1280 ticks per event, 50,000 stored pixels per plane on track-like lines plus
noise (the largest real events of the SBND cosmic-tagging set, lartpc-physics.md §1.6), with
per-pixel labels. Then, on one core, batches are read
  (a) by argonet: the dataset's batched read (range read + one scatter) through the DataLoader
      built by ``build_loader``, charge only and charge + labels;
  (b) by a plain h5py loop: per event, read the extents row, slice voxel_extents and voxels,
      densify the event, then stack the events into the batch; charge only, and charge + labels
      (what larcv3's sparse→dense path does per event);
  (c) by argonet as sparse batches at full resolution (coordinates + charge, + labels), never
      densified, through the same loader;
  (d) by a plain h5py loop to the same sparse batches: per event and plane, read the voxels,
      split the ids into (wire, tick), then concatenate with the batch and plane columns (larcv3's
      sparse→sparse path, documented at about 200 events/s).
Goals (one core): >= 300 events/s to full-resolution dense batches; sparse batches at >= 2x the
plain sparse reader (d); dense full-resolution batches with uint8 labels at >= 2x the plain dense
reader (b), with labels and, stricter, charge only. Rates are given per second of wall time and
per second of this process's CPU time (what one core spends, robust to other load on the
machine), each row the run with the least CPU time of ``--repeat``; the ratios to the baselines
are printed per CPU-second. The ``limits`` line gives the floors: argonet's reader (read and inflate) of the
charge alone, and zeroing a full-resolution float32 batch.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from argonet.conf.data import DataConfig  # noqa: E402
from argonet.data.datasets import PlaneImageDataset, SegmentationDataset  # noqa: E402
from argonet.data.loader import build_loader  # noqa: E402
from argonet.data.sparse_batches import SparseSegmentationDataset  # noqa: E402
from argonet.event import Event, ImageMeta, SparseImage  # noqa: E402
from argonet.io import Larcv3File, Larcv3Writer  # noqa: E402

SHAPE = (2048, 1280)          # (wires, ticks) per plane, as the SBND cosmic-tagging files store them
PIXELS_PER_PLANE = 50_000
PLANES = 3
#: (what, argonet row, baseline row) compared per CPU-second
RATIOS = (("dense full resolution + labels", "(a) argonet, downsample=1, + uint8 labels",
           "(b) plain h5py per event, + int64 labels"),
          ("dense + uint8 labels vs plain charge only", "(a) argonet, downsample=1, + uint8 labels",
           "(b) plain h5py per event, downsample=1"),
          ("dense, charge only", "(a) argonet, downsample=1", "(b) plain h5py per event, downsample=1"),
          ("sparse", "(c) argonet sparse batches", "(d) plain h5py per event → sparse"),
          ("sparse + labels", "(c) argonet sparse batches, + labels", "(d) plain h5py per event → sparse, + labels"))


def synthetic_plane(rng: np.random.Generator, projection: int) -> tuple[SparseImage, SparseImage]:
    """One plane: 30 straight tracks 3 ticks wide (cosmic or neutrino) plus noise, exactly 50k pixels."""
    n_w, n_t = SHAPE
    length = rng.integers(100, 1200, 30)
    angle = np.repeat(rng.uniform(0, np.pi, 30), length)
    step = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    wire = (np.repeat(rng.uniform(0, n_w, 30), length) + step * np.cos(angle)).astype(np.int64)
    tick = (np.repeat(rng.uniform(0, n_t, 30), length) + step * np.sin(angle)).astype(np.int64)
    track_label = np.repeat(1 + (rng.random(30) < 0.2), length * 3)
    wire, tick = np.repeat(wire, 3), (tick[:, None] + np.arange(-1, 2)).reshape(-1)
    inside = (wire >= 0) & (wire < n_w) & (tick >= 0) & (tick < n_t)
    ids, labels = [wire[inside] * n_t + tick[inside]], [track_label[inside]]
    flat, first = np.unique(np.concatenate(ids), return_index=True)
    label = np.concatenate(labels)[first]
    noise = np.sort(rng.integers(0, n_w * n_t, 2 * PIXELS_PER_PLANE))
    noise = np.setdiff1d(noise[np.r_[True, noise[1:] != noise[:-1]]], flat, assume_unique=True)
    flat = np.concatenate([flat, noise[: max(PIXELS_PER_PLANE - len(flat), 0)]])
    label = np.concatenate([label, np.zeros(len(flat) - len(label), np.int64)])
    keep = np.sort(rng.choice(len(flat), PIXELS_PER_PLANE, replace=False))
    order = np.argsort(flat[keep])
    flat, label = flat[keep][order], label[keep][order]
    meta = ImageMeta(projection, SHAPE, (SHAPE[0] * 0.3, SHAPE[1] * 0.3125), (0.0, -200.0))
    charge = (5.0 + rng.gamma(2.0, 8.0, len(flat))).astype(np.float32)
    return (SparseImage(meta, flat.astype(np.uint64), charge),
            SparseImage(meta, flat.astype(np.uint64), label.astype(np.float32)))


def synthetic_events(n_events: int, seed: int = 0) -> list[Event]:
    """The synthetic CosmicTagger-like events (charge and labels on 3 planes)."""
    rng = np.random.default_rng(seed)
    events = []
    for i in range(n_events):
        planes = [synthetic_plane(rng, p) for p in range(PLANES)]
        events.append(Event([c for c, _ in planes], [s for _, s in planes], [], event=i))
    return events


def write_sample(path: Path, events: list[Event], compression: str | None) -> None:
    """Write the events; gzip level 1 is what larcv3 writes, None stores the tables raw."""
    with Larcv3Writer(path, overwrite=True, compression=compression) as writer:
        for event in events:
            writer.write(event)


class Clock:
    """Wall and CPU time of this process over a block (CPU time is what one core spends, whatever
    else the machine runs)."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def per_event_ms(self, n_events: int) -> tuple[float, float]:
        """(wall, CPU) milliseconds per event."""
        return 1e3 * self.wall / n_events, 1e3 * self.cpu / n_events


def argonet_ms(path: Path, factor: int, labels: str | None, batch_size: int) -> tuple[float, float]:
    """(a) ms/event through build_loader in the main process (as iotest with workers=0), after one
    untimed batch (file opening, numba compilation, first buffers)."""
    cfg = DataConfig(file=str(path), downsample=factor, batch_size=batch_size, split_block=batch_size,
                     label_dtype=labels or "int64")
    dataset = (SegmentationDataset if labels else PlaneImageDataset).from_config(cfg)
    batches = iter(build_loader(dataset, cfg, train=True))
    next(batches)
    n = 0
    with Clock() as clock:
        for batch in batches:
            n += len(batch["image"])
    return clock.per_event_ms(n)


def h5py_event(group: h5py.Group, entry: int) -> list[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """(ids, values, (wires, ticks)) of each plane of one event, read the plain h5py way."""
    ext = group["extents"][entry]
    rows = group["voxel_extents"][int(ext["first"]): int(ext["first"]) + int(ext["N"])]
    metas = group["image_meta"][int(ext["first"]): int(ext["first"]) + int(ext["N"])]
    planes = []
    for row, meta in zip(rows, metas):
        voxels = group["voxels"][int(row["first"]): int(row["first"]) + int(row["N"])]
        planes.append((voxels["id"].astype(np.int64), voxels["value"], tuple(int(n) for n in meta["number_of_voxels"])))
    return planes


def h5py_ms(path: Path, batch_size: int, labels: bool = False) -> tuple[float, float]:
    """(b) ms/event of a plain per-event h5py reader densifying one event (charge, and labels) at a time."""
    with h5py.File(path, "r") as h5, Clock() as clock:
        groups = [h5["Data/sparse2d_sbndwire_group"]] + ([h5["Data/sparse2d_sbnd_cosmicseg_group"]] if labels else [])
        n = groups[0]["extents"].shape[0] - groups[0]["extents"].shape[0] % batch_size
        for lo in range(0, n, batch_size):
            for k, group in enumerate(groups):
                events = []
                for entry in range(lo, lo + batch_size):
                    planes = h5py_event(group, entry)
                    dense = np.zeros((len(planes), *np.max([shape for *_, shape in planes], axis=0)),
                                     np.float32 if k == 0 else np.int64)
                    for p, (ids, values, _) in enumerate(planes):
                        dense[p].reshape(-1)[ids] = values
                    events.append(dense)
                torch.from_numpy(np.stack(events))
    return clock.per_event_ms(n)


def h5py_sparse_ms(path: Path, batch_size: int, labels: bool) -> tuple[float, float]:
    """(d) ms/event of a plain per-event h5py reader making (event, plane, wire, tick) + charge (+ label) batches."""
    with h5py.File(path, "r") as h5, Clock() as clock:
        charge = h5["Data/sparse2d_sbndwire_group"]
        label = h5["Data/sparse2d_sbnd_cosmicseg_group"] if labels else None
        n = charge["extents"].shape[0] - charge["extents"].shape[0] % batch_size
        for lo in range(0, n, batch_size):
            coords, values, classes = [], [], []
            for b, entry in enumerate(range(lo, lo + batch_size)):
                label_planes = h5py_event(label, entry) if labels else None
                for p, (ids, charges, shape) in enumerate(h5py_event(charge, entry)):
                    wire, tick = np.divmod(ids, shape[1])
                    coords.append(np.stack([np.full_like(ids, b), np.full_like(ids, p), wire, tick], axis=1))
                    values.append(charges)
                    if labels:
                        classes.append(label_planes[p][1].astype(np.int64))
            batch = {"coords": torch.from_numpy(np.concatenate(coords)),
                     "features": torch.from_numpy(np.concatenate(values)[:, None])}
            if labels:
                batch["label"] = torch.from_numpy(np.concatenate(classes))
    return clock.per_event_ms(n)


def argonet_sparse_ms(path: Path, labels: bool, batch_size: int) -> tuple[float, float]:
    """(c) ms/event of argonet's sparse batches at full resolution through build_loader, after one untimed batch."""
    cfg = DataConfig(file=str(path), batch_size=batch_size, split_block=batch_size, layout="sparse")
    dataset = SparseSegmentationDataset.from_config(cfg, **({} if labels else {"labels": None}))
    batches = iter(build_loader(dataset, cfg, train=True))
    next(batches)
    n = 0
    with Clock() as clock:
        for batch in batches:
            n += len(batch["entry"])
    return clock.per_event_ms(n)


def reader_ms(path: Path, batch_size: int) -> tuple[float, float]:
    """ms/event of argonet's reader alone (sparse2d_range of the charge: chunk reads + inflate)."""
    with Larcv3File(path) as f:
        f.sparse2d_range("sbndwire", 0, batch_size)
        with Clock() as clock:
            for lo in range(batch_size, len(f) - batch_size + 1, batch_size):
                f.sparse2d_range("sbndwire", lo, lo + batch_size)
        return clock.per_event_ms((len(f) // batch_size - 1) * batch_size)


def best(repeat: int, measure, *args) -> tuple[float, float]:
    """(wall, CPU) ms/event of the run of ``measure(*args)`` with the least CPU time among ``repeat`` runs: the
    machine is shared, and other jobs only ever add time."""
    return min((measure(*args) for _ in range(max(repeat, 1))), key=lambda timing: timing[1])


def memset_ms(batch_size: int) -> tuple[float, float]:
    """ms/event to zero a recycled full-resolution float32 batch buffer: the memory-bandwidth floor."""
    buffer = np.ones((batch_size, PLANES, *SHAPE), np.float32)
    with Clock() as clock:
        for _ in range(3):
            buffer.fill(0)
    return clock.per_event_ms(3 * batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=96)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--downsample", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the one with the least CPU time is shown")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    events = synthetic_events(args.events)
    print(f"{args.events} synthetic events ({PLANES} x {SHAPE[0]} x {SHAPE[1]}, {PIXELS_PER_PLANE} pixels/plane, "
          f"charge + labels) made in {time.perf_counter() - start:.1f} s")
    dense_MB = PLANES * SHAPE[0] * SHAPE[1] * 4 / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        for compression in ("gzip", None):
            path = Path(tmp) / f"cosmic_tagger_like_{compression}.h5"
            write_sample(path, events, compression)
            print(f"\nfile with compression={compression}: {path.stat().st_size / 1e6:.0f} MB "
                  f"({path.stat().st_size / 1e6 / args.events:.2f} MB/event, charge + labels)")
            print(f"  {'reader':<44}{'events/s':>9}{'ms/event':>9}{'per CPU-s':>10}{'CPU ms':>8}{'batch MB/s':>11}")
            label_weight = {None: 1.0, "uint8": 1.25, "int64": 3.0}     # batch bytes / image bytes
            rows = [(f"(a) argonet, downsample={f}" + (f", + {lab} labels" if lab else ""),
                     best(args.repeat, argonet_ms, path, f, lab, args.batch), dense_MB / f ** 2 * label_weight[lab])
                    for f in args.downsample for lab in (None, "uint8", "int64")]
            for labels, out_MB in ((False, dense_MB), (True, 3 * dense_MB)):
                rows.append(("(b) plain h5py per event, " + ("+ int64 labels" if labels else "downsample=1"),
                             best(args.repeat, h5py_ms, path, args.batch, labels), out_MB))
            sparse_MB = PLANES * PIXELS_PER_PLANE * (32 + 4) / 1e6                 # int64 coords + float32 charge
            for labels in (False, True):
                out_MB = sparse_MB * (44 / 36 if labels else 1)
                rows.append(("(c) argonet sparse batches" + (", + labels" if labels else ""),
                             best(args.repeat, argonet_sparse_ms, path, labels, args.batch), out_MB))
                rows.append(("(d) plain h5py per event → sparse" + (", + labels" if labels else ""),
                             best(args.repeat, h5py_sparse_ms, path, args.batch, labels), out_MB))
            for name, (wall, cpu), out_MB in rows:
                print(f"  {name:<44}{1e3 / wall:>9.0f}{wall:>9.2f}{1e3 / cpu:>10.0f}{cpu:>8.2f}"
                      f"{1e3 / wall * out_MB:>11.0f}")
            cpu = {name: timing[1] for name, timing, _ in rows}
            print("  per CPU-second, argonet / plain h5py: " + "; ".join(
                f"{what} {cpu[base] / cpu[ours]:.2f}x" for what, ours, base in RATIOS if ours in cpu))
            read, zero = reader_ms(path, args.batch), memset_ms(args.batch)
            print(f"  limits (wall / CPU ms per event): reader alone, charge: {read[0]:.2f} / {read[1]:.2f}; "
                  f"zeroing a full-resolution batch: {zero[0]:.2f} / {zero[1]:.2f}")

if __name__ == "__main__":
    main()
