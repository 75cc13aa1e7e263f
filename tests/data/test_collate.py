"""Collation: the fast batched dense path against naive per-event densification, sparse batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.collate import BufferPool, collate_dense, collate_sparse, scatter_batch
from argonet.data.datasets import PlaneImageDataset, SegmentationDataset
from argonet.data.loader import build_loader
from argonet.data.transforms import downsample_dense, flip, planes_to_channels
from argonet.errors import DataError
from argonet.io import SparseBatch


def test_fast_dense_batch_equals_naive_densify(events_file, events, helpers):
    dataset = SegmentationDataset(events_file)
    entries = [7, 2, 3, 4, 9, 2]                     # unordered, a repeat, runs of consecutive entries
    batch = dataset.read_batch(entries)
    for b, entry in enumerate(entries):
        np.testing.assert_array_equal(batch["image"][b].numpy(), helpers.dense_event(events[entry]))
        labels = np.stack([image.dense() for image in events[entry].semantic]).astype(np.int64)
        np.testing.assert_array_equal(batch["label"][b].numpy(), labels)
    assert batch["entry"].tolist() == entries


@pytest.mark.parametrize("factors", [(2, 2), (3, 5), (1, 4)])
def test_fast_downsampled_batch_equals_downsampling_the_dense_event(events_file, events, helpers, factors):
    batch = SegmentationDataset(events_file, downsample=factors).read_batch([5, 0, 1])
    for b, entry in enumerate([5, 0, 1]):
        expected = downsample_dense(helpers.dense_event(events[entry]), factors)
        np.testing.assert_allclose(batch["image"][b].numpy(), expected, rtol=1e-6)
        labels = np.stack([image.dense() for image in events[entry].semantic])
        np.testing.assert_array_equal(batch["label"][b].numpy(), downsample_dense(labels, factors, "max"))


def test_fast_path_across_files_and_plane_sizes(tmp_path, rng, helpers):
    shapes = ((40, 24), (40, 24), (30, 20))          # a smaller plane is zero-padded, as CosmicTagger pads wires
    first = [helpers.random_event(rng, shapes) for _ in range(3)]
    second = [helpers.random_event(rng, shapes) for _ in range(4)]
    paths = [helpers.write(tmp_path / "a.h5", first), helpers.write(tmp_path / "b.h5", second)]
    dataset = PlaneImageDataset(paths)
    assert len(dataset) == 7 and dataset.image_shape == (40, 24)
    events = first + second
    entries = [1, 2, 3, 4, 0]                         # one run straddles the file boundary
    batch = dataset.read_batch(entries)
    for b, entry in enumerate(entries):
        expected = planes_to_channels([image.dense() for image in events[entry].charge])
        np.testing.assert_array_equal(batch["image"][b].numpy(), expected)
    assert dataset.where(4) == f"file {paths[1]}, event 1"


def test_flips_on_the_ids_equal_flipping_the_dense_image(events_file, events, helpers):
    for axes in (["wire"], ["drift"], ["wire", "drift"]):
        dataset = SegmentationDataset(events_file, augment=axes, flip_probability=1.0, downsample=(2, 3))
        batch = dataset.read_batch([3, 6])
        for b, entry in enumerate([3, 6]):
            expected = flip(downsample_dense(helpers.dense_event(events[entry]), (2, 3)), axes)
            np.testing.assert_allclose(batch["image"][b].numpy(), expected, rtol=1e-6)
        plain = dataset.without_augment().read_batch([3])
        np.testing.assert_allclose(plain["image"][0].numpy(), downsample_dense(helpers.dense_event(events[3]), (2, 3)),
                                   rtol=1e-6)


def test_ids_outside_the_image_are_refused():
    batch = SparseBatch(0, np.array([0]), np.array([[4, 4]]), np.ones((1, 2)), np.zeros((1, 2)),
                        np.array([0, 1]), np.array([0, 2]), np.array([3, 16], np.uint64), np.ones(2, np.float32))
    out = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(DataError, match=r"event X: plane 0 has pixel ids outside its image of shape \(4, 4\)"):
        scatter_batch(out, batch, np.array([0]), np.array([[0]]), (1, 1), "sum", where=lambda e: "event X")


def test_collate_dense_stacks_and_passes_batches_through():
    items = [{"image": torch.full((2, 3, 3), float(i)), "label": torch.tensor(i)} for i in range(4)]
    batch = collate_dense(items)
    assert batch["image"].shape == (4, 2, 3, 3) and batch["label"].tolist() == [0, 1, 2, 3]
    assert batch["image"][2].unique().tolist() == [2.0]
    assert collate_dense(batch)["image"] is batch["image"]


def test_collate_sparse_adds_the_batch_column(events_file):
    from argonet.data.datasets import SparseDataset

    dataset = SparseDataset(events_file, labels="sbnd_cosmicseg")
    items = [dataset[i] for i in (0, 5, 2)]
    batch = collate_sparse(items)
    sizes = [len(item["coords"]) for item in items]
    assert batch["coords"].shape == (sum(sizes), 4) and batch["features"].shape == (sum(sizes), 1)
    assert batch["coords"][:, 0].tolist() == [0] * sizes[0] + [1] * sizes[1] + [2] * sizes[2]
    np.testing.assert_array_equal(batch["coords"][sizes[0]:sizes[0] + sizes[1], 1:].numpy(), items[1]["coords"].numpy())
    assert batch["label"].shape == (sum(sizes),) and batch["entry"].tolist() == [0, 5, 2]


def test_buffer_pool_reuses_only_released_buffers_and_zeroes_them():
    pool = BufferPool(per_shape=2)
    a = pool.zeros((2, 3), np.float32)
    a += 7                                             # the consumer writes into its batch
    b = pool.zeros((2, 3), np.float32)
    assert a.data_ptr() != b.data_ptr() and float(a.sum()) == 42 and float(b.sum()) == 0
    view, a_ptr = a[1], a.data_ptr()
    del a
    c = pool.zeros((2, 3), np.float32)                 # a's memory is still seen through a view
    assert c.data_ptr() not in (a_ptr, b.data_ptr())
    del view
    d = pool.zeros((2, 3), np.float32)
    assert d.data_ptr() == a_ptr and float(d.sum()) == 0


def test_worker_batches_equal_main_process_batches(events_file):
    cfg = DataConfig(file=str(events_file), batch_size=3, workers=1, persistent_workers=False)
    dataset = SegmentationDataset.from_config(cfg)
    in_workers = list(build_loader(dataset, cfg))
    in_process = list(build_loader(dataset, DataConfig(file=str(events_file), batch_size=3)))
    assert len(in_workers) == len(in_process) == 4
    for got, expected in zip(in_workers, in_process):
        assert torch.equal(got["image"], expected["image"]) and torch.equal(got["label"], expected["label"])


def test_a_nan_charge_never_reaches_the_dense_batch(tmp_path, rng, helpers):
    import h5py

    from argonet.errors import FormatError

    path = helpers.write(tmp_path / "nan.h5", [helpers.random_event(rng) for _ in range(4)])
    with h5py.File(path, "r+") as h5:
        voxels = h5["Data/sparse2d_sbndwire_group/voxels"]
        row = int(h5["Data/sparse2d_sbndwire_group/voxel_extents"][3 * 3]["first"])   # event 3, plane 0
        voxel = voxels[row]
        voxel["value"] = np.nan
        voxels[row] = voxel
    dataset = SegmentationDataset(path)
    assert np.isfinite(dataset.read_batch([0, 1, 2])["image"].numpy()).all()
    with pytest.raises(FormatError, match=r"nan\.h5.*'sparse2d/sbndwire'.*event 3: non-finite value nan"):
        dataset.read_batch([2, 3])
