"""Entry splits, per-rank batch sampling and DataLoader construction.

Splits and shuffles are fixed by a seed, so every rank of a distributed job (and every rerun)
sees the same train/val/test entries. Batches are sharded across ranks, not entries, so that a
batch of consecutive entries stays one range read on the rank that reads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import math

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from argonet.conf.data import DataConfig
from argonet.data.collate import collate_dense
from argonet.data.datasets import ClassificationDataset, PlaneImageDataset, SegmentationDataset, SparseDataset
from argonet.data.image_files import ImageFolderDataset, JetImageDataset
from argonet.data.jet_features import JetFeatureDataset
from argonet.data.protocols import AugmentedDataset, BatchReadingDataset
from argonet.data.real import CvnDataset, Larcv2Dataset, WireCellSegmentation
from argonet.data.sparse_batches import SparseSegmentationDataset
from argonet.errors import ConfigError

SPLIT_NAMES = ("train", "val", "test")
DATASETS = {"segmentation": SegmentationDataset, "image": PlaneImageDataset,
            "classification": ClassificationDataset, "sparse": SparseDataset,
            "sparse_segmentation": SparseSegmentationDataset}
#: dataset kinds whose batches hold active pixels only (data.layout=sparse); every other kind is dense
SPARSE_KINDS = ("sparse", "sparse_segmentation")
#: (data.format, dataset kind) → dataset class with ``from_config(cfg)``, for layouts other than larcv3
FORMAT_DATASETS = {("jets", "classification"): JetImageDataset, ("folder", "classification"): ImageFolderDataset,
                   ("cvn", "classification"): CvnDataset, ("larcv2", "classification"): Larcv2Dataset,
                   ("wirecell", "segmentation"): WireCellSegmentation,
                   ("jet_features", "classification"): JetFeatureDataset}


def split_entries(n_entries: int, fractions: Sequence[float], seed: int, block: int = 1) -> dict[str, np.ndarray]:
    """Disjoint train/val/test entries (each sorted), fixed by ``seed``.

    Entries are grouped in blocks of ``block`` consecutive entries before the random assignment,
    so that reads inside a split stay contiguous; fractions summing below 1 leave entries unused.
    """
    if n_entries < 0 or block < 1:
        raise ConfigError("data.split_block", f"need n_entries >= 0 and block >= 1, got {n_entries}, {block}")
    if len(fractions) != len(SPLIT_NAMES) or min(fractions) < 0 or sum(fractions) > 1 + 1e-9:
        raise ConfigError("data.split", f"needs 3 fractions >= 0 summing to at most 1, got {list(fractions)}")
    n_blocks = math.ceil(n_entries / block)
    order = np.random.default_rng(seed).permutation(n_blocks)
    edges = np.rint(np.cumsum([0.0, *fractions]) * n_blocks).astype(np.int64).clip(0, n_blocks)
    out = {}
    for name, lo, hi in zip(SPLIT_NAMES, edges[:-1], edges[1:]):
        starts = np.sort(order[lo:hi]) * block
        entries = (starts[:, None] + np.arange(block)).reshape(-1)
        out[name] = entries[entries < n_entries]
    return out


def distributed_rank() -> tuple[int, int]:
    """(rank, world size) of this process: torch.distributed when initialised, else (0, 1)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class ShardedBatchSampler(Sampler[list[int]]):
    """Batches of entries for one rank; call ``set_epoch`` each epoch to reshuffle.

    ``contiguous`` batches are runs of consecutive entries (rotated by a random offset and in
    random order when shuffling: the CosmicTagger's random-blocks mode), read with one range read
    each; otherwise entries are shuffled individually. Batches are dealt to ranks in turn: with
    ``even=False`` every entry is read exactly once over all ranks; with ``even=True`` (needed by
    DistributedDataParallel) the first batches are repeated so that every rank gets as many.
    """

    def __init__(self, entries: Sequence[int], batch_size: int, *, shuffle: bool = False, seed: int = 0,
                 rank: int = 0, world_size: int = 1, drop_last: bool = False, contiguous: bool = False,
                 even: bool = True):
        if batch_size < 1:
            raise ConfigError("data.batch_size", f"must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ConfigError("rank", f"needs 0 <= rank < world_size, got rank {rank} of {world_size}")
        self.entries = np.sort(np.asarray(entries, dtype=np.int64))
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.rank, self.world_size = rank, world_size
        self.drop_last, self.contiguous, self.even = drop_last, contiguous, even
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffle of this epoch (the same on every rank)."""
        self.epoch = epoch

    def _batches(self) -> list[np.ndarray]:
        """All batches of this epoch, before sharding."""
        entries = self.entries
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.epoch])
            if self.contiguous:
                entries = np.roll(entries, -int(rng.integers(self.batch_size))) if entries.size else entries
            else:
                entries = rng.permutation(entries)
        n_full = entries.size // self.batch_size
        batches = list(entries[: n_full * self.batch_size].reshape(n_full, self.batch_size))
        if entries.size % self.batch_size and not self.drop_last:
            batches.append(entries[n_full * self.batch_size:])
        if self.shuffle and self.contiguous:
            batches = [batches[i] for i in np.random.default_rng([self.seed, self.epoch, 1]).permutation(len(batches))]
        if self.even and batches and len(batches) % self.world_size:
            batches += batches[: self.world_size - len(batches) % self.world_size]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self._batches()[self.rank::self.world_size]:
            yield batch.tolist()

    def __len__(self) -> int:
        n = self.entries.size // self.batch_size if self.drop_last else math.ceil(self.entries.size / self.batch_size)
        if self.even:
            return math.ceil(n / self.world_size)
        return len(range(self.rank, n, self.world_size))


class BatchReader(Dataset):
    """A map-style view whose items are whole batches: ``view[entries]`` is ``dataset.read_batch(entries)``."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, entries: list[int]) -> dict:
        return self.dataset.read_batch(entries)


def build_dataset(kind: str, cfg: DataConfig, **overrides) -> Dataset:
    """The dataset of ``kind`` (segmentation, image, classification, sparse) a DataConfig describes,
    for the file layout ``cfg.format``."""
    if kind not in DATASETS:
        raise ConfigError("dataset", f"unknown dataset {kind!r}", DATASETS)
    if cfg.layout != "auto" and (cfg.layout == "sparse") != (kind in SPARSE_KINDS):
        raise ConfigError("data.layout", f"this command reads {kind} batches, which are "
                          f"{'sparse' if kind in SPARSE_KINDS else 'dense'}, not {cfg.layout}; use data.layout=auto")
    if cfg.format == "larcv3":
        return DATASETS[kind].from_config(cfg, **overrides)
    if (cfg.format, kind) not in FORMAT_DATASETS:
        offered = sorted(k for f, k in FORMAT_DATASETS if f == cfg.format)
        raise ConfigError("data.format", f"{cfg.format} files give no {kind} dataset (they give: {offered})")
    return FORMAT_DATASETS[cfg.format, kind].from_config(cfg, **overrides)


def build_loader(dataset: Dataset, cfg: DataConfig, entries: Sequence[int] | None = None, *, train: bool = False,
                 rank: int | None = None, world_size: int | None = None, collate_fn=None,
                 batch_size: int | None = None) -> DataLoader:
    """A DataLoader over ``entries`` of ``dataset`` for this rank, as training reads it.

    Training loaders shuffle (reproducibly from ``cfg.seed`` and the epoch) and drop the last
    partial batch; evaluation loaders keep order and every entry. Datasets that ``reads_batches``
    read each batch in one pass (``read_batch``); others are read event by event and collated by ``collate_fn``
    (default: the dataset's own ``collate_fn``, else ``collate_dense``). Memory is pinned only
    when CUDA is there to use it.
    """
    if rank is None or world_size is None:
        rank, world_size = distributed_rank()
    entries = np.arange(len(dataset)) if entries is None else np.asarray(entries)
    sampler = ShardedBatchSampler(entries, batch_size or cfg.batch_size, shuffle=train, seed=cfg.seed,
                                  rank=rank, world_size=world_size, drop_last=train,
                                  contiguous=cfg.split_block > 1, even=world_size > 1)
    options = dict(num_workers=cfg.workers, generator=torch.Generator().manual_seed(cfg.seed),
                   pin_memory=torch.cuda.is_available() if cfg.pin_memory is None else cfg.pin_memory,
                   persistent_workers=cfg.persistent_workers and cfg.workers > 0,
                   prefetch_factor=cfg.prefetch_factor if cfg.workers > 0 else None)
    if isinstance(dataset, BatchReadingDataset) and dataset.reads_batches:
        return DataLoader(BatchReader(dataset), sampler=sampler, batch_size=None, collate_fn=collate_dense, **options)
    collate_fn = collate_fn or getattr(dataset, "collate_fn", collate_dense)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_fn, **options)


def build_loaders(dataset: Dataset, cfg: DataConfig, *, rank: int | None = None,
                  world_size: int | None = None) -> dict[str, DataLoader]:
    """train/val/test loaders over the seeded split of the dataset's entries (empty splits left out);
    random flips only in training."""
    splits = split_entries(len(dataset), cfg.split, cfg.seed, cfg.split_block)
    plain = dataset.without_augment() if isinstance(dataset, AugmentedDataset) else dataset
    return {name: build_loader(dataset if name == "train" else plain, cfg, entries, train=name == "train",
                               rank=rank, world_size=world_size)
            for name, entries in splits.items() if len(entries)}


def set_epoch(loader: DataLoader, epoch: int) -> None:
    """Reshuffle a loader made by ``build_loader`` for ``epoch`` (call before iterating)."""
    for sampler in (loader.batch_sampler, loader.sampler):
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
