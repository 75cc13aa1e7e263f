"""Splits, per-rank sharding and DataLoader construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.datasets import SegmentationDataset, SparseDataset
from argonet.data.loader import (ShardedBatchSampler, build_dataset, build_loader, build_loaders, set_epoch,
                                 split_entries)
from argonet.errors import ConfigError


@pytest.mark.parametrize("block", [1, 4])
def test_split_is_disjoint_complete_and_reproducible(block):
    splits = split_entries(103, [0.7, 0.2, 0.1], seed=5, block=block)
    together = np.concatenate(list(splits.values()))
    assert sorted(together.tolist()) == list(range(103))          # every entry once, none twice
    assert abs(len(splits["train"]) - 0.7 * 103) <= block + 1
    again = split_entries(103, [0.7, 0.2, 0.1], seed=5, block=block)
    assert all(np.array_equal(splits[k], again[k]) for k in splits)
    other = split_entries(103, [0.7, 0.2, 0.1], seed=6, block=block)
    assert not np.array_equal(splits["val"], other["val"])
    if block > 1:                                                  # blocks of consecutive entries stay together
        for entries in splits.values():
            assert all(e // block == entries[i - i % block] // block for i, e in enumerate(entries) if e < 100)


def test_split_fractions_below_one_leave_entries_out():
    splits = split_entries(50, [0.5, 0.2, 0.0], seed=0)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [25, 10, 0]
    with pytest.raises(ConfigError, match="data.split"):
        split_entries(50, [0.8, 0.3, 0.1], seed=0)


@pytest.mark.parametrize("contiguous", [False, True])
@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_rank_sharding_reads_every_entry_exactly_once(world_size, contiguous):
    entries = np.arange(3, 40)                                     # 37 entries, batches of 5
    seen = []
    for rank in range(world_size):
        sampler = ShardedBatchSampler(entries, 5, shuffle=True, seed=1, rank=rank, world_size=world_size,
                                      contiguous=contiguous, even=False)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        seen += [e for batch in batches for e in batch]
    assert sorted(seen) == entries.tolist()


def test_even_sharding_gives_every_rank_as_many_batches():
    counts, seen = [], set()
    for rank in range(3):
        sampler = ShardedBatchSampler(range(37), 5, rank=rank, world_size=3, even=True)
        batches = list(sampler)
        counts.append(len(batches))
        assert len(batches) == len(sampler)
        seen |= {e for batch in batches for e in batch}
    assert counts == [3, 3, 3] and seen == set(range(37))


def test_set_epoch_reshuffles_reproducibly():
    sampler = ShardedBatchSampler(range(64), 8, shuffle=True, seed=3, contiguous=True)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and sorted(map(tuple, second)) != sorted(map(tuple, first))
    assert sorted(e for b in second for e in b) == list(range(64))
    # contiguous batches are runs of 8 consecutive entries (one may wrap around the end)
    assert all({(e - b[0]) % 64 for e in b} == set(range(8)) for b in second)


def test_build_loader_batches_and_options(events_file):
    cfg = DataConfig(file=str(events_file), batch_size=4, seed=2)
    dataset = SegmentationDataset.from_config(cfg)
    train = build_loader(dataset, cfg, train=True)
    batches = list(train)
    assert len(batches) == 2 and all(b["image"].shape == (4, 3, 40, 24) for b in batches)   # last partial dropped
    assert train.pin_memory == torch.cuda.is_available()
    evaluation = build_loader(dataset, cfg, entries=[9, 1, 2, 3, 4], train=False)
    assert [b["entry"].tolist() for b in evaluation] == [[1, 2, 3, 4], [9]]
    set_epoch(train, 1)
    assert [b["entry"].tolist() for b in train] != [b["entry"].tolist() for b in batches]


def test_build_loaders_split_the_entries(events_file):
    cfg = DataConfig(file=str(events_file), batch_size=1, split=[0.6, 0.2, 0.2], augment=["drift"])
    loaders = build_loaders(SegmentationDataset.from_config(cfg), cfg)
    entries = {name: sorted(int(b["entry"]) for b in loader) for name, loader in loaders.items()}
    assert sum(len(v) for v in entries.values()) == 10
    assert set(entries["train"]).isdisjoint(entries["val"]) and set(entries["val"]).isdisjoint(entries["test"])
    assert loaders["val"].dataset.dataset.augment == () and loaders["train"].dataset.dataset.augment == ("drift",)


def test_sparse_loader_collates_points(events_file):
    cfg = DataConfig(file=str(events_file), batch_size=3)
    dataset = build_dataset("sparse", cfg)
    assert isinstance(dataset, SparseDataset)
    batch = next(iter(build_loader(dataset, cfg)))
    assert batch["coords"].shape[1] == 4 and set(batch["coords"][:, 0].tolist()) == {0, 1, 2}
    with pytest.raises(ConfigError, match="unknown dataset"):
        build_dataset("video", cfg)


@pytest.mark.parametrize("kind, layout", [("classification", "sparse"), ("segmentation", "sparse"),
                                          ("sparse_segmentation", "dense")])
def test_a_layout_the_dataset_does_not_give_is_one_line(events_file, kind, layout):
    with pytest.raises(ConfigError, match=f"^data.layout: this command reads {kind} batches, which are "
                                          f"(sparse|dense), not {layout}; use data.layout=auto$"):
        build_dataset(kind, DataConfig(file=str(events_file), layout=layout))
    same = "dense" if layout == "sparse" else "sparse"
    assert len(build_dataset(kind, DataConfig(file=str(events_file), layout=same))) == 10
