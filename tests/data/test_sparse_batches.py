"""Sparse segmentation batches: the same charge and labels as the dense batches at the active pixels, for
any down-sampling, flips included; bad files and options give one clear line."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.loader import build_dataset, build_loader
from argonet.data.sparse_batches import SparseSegmentationDataset
from argonet.errors import DataError, FormatError
from argonet.event import SparseImage


def _dense_equivalent(dataset: SparseSegmentationDataset, batch: dict, n_events: int):
    """(charge, label, active mask) (B, P, H, W) arrays made from a sparse batch."""
    shape = (n_events, dataset.in_channels, *batch["shape"].tolist())
    charge, label, active = np.zeros(shape, np.float32), np.zeros(shape, np.int64), np.zeros(shape, bool)
    index = tuple(batch["coords"].numpy().T)
    assert not active[index].any()
    charge[index], label[index], active[index] = batch["features"][:, 0].numpy(), batch["label"].numpy(), True
    return charge, label, active


@pytest.mark.parametrize("downsample", [1, 4, [2, 3]])
def test_sparse_batch_matches_the_dense_batch_at_the_active_pixels(sample_path, downsample):
    cfg = DataConfig(file=str(sample_path), downsample=downsample)
    dense = build_dataset("segmentation", cfg)
    sparse = build_dataset("sparse_segmentation", cfg)
    assert sparse.image_shape == dense.image_shape and sparse.class_names == dense.class_names
    entries = [3, 0, 1]
    want, got = dense.read_batch(entries), sparse.read_batch(entries)
    assert got["coords"].dtype == torch.int64 and got["coords"].is_contiguous()
    assert torch.equal(got["entry"], torch.tensor(entries))
    charge, label, active = _dense_equivalent(sparse, got, len(entries))
    np.testing.assert_allclose(charge, want["image"].numpy(), rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(label[active], want["label"].numpy()[active])
    assert (want["image"].numpy()[~active] == 0).all()               # nothing with charge is left out
    assert active.sum() > 1000 and (label[active] > 0).any()
    rows = got["coords"].numpy()
    assert (np.lexsort(rows.T[::-1]) == np.arange(len(rows))).all()  # (event, plane, wire, tick) order


@pytest.mark.parametrize("downsample, box, mode", [(1, [700, 300], "per_plane"), (4, [64, 96], "common"),
                                                   ([2, 3], [150, 40], "per_plane")])
def test_crop_keeps_the_pixels_the_dense_crop_keeps(sample_path, downsample, box, mode):
    cfg = DataConfig(file=str(sample_path), downsample=downsample, crop=box, crop_mode=mode)
    dense, sparse = build_dataset("segmentation", cfg), build_dataset("sparse_segmentation", cfg)
    assert sparse.image_shape == dense.image_shape == tuple(box)
    entries = [2, 0, 3]
    want, got = dense.read_batch(entries), sparse.read_batch(entries)
    assert got["shape"].tolist() == box
    coords = got["coords"].numpy()
    assert (coords[:, 2:] >= 0).all() and (coords[:, 2:] < np.asarray(box)).all()
    charge, label, active = _dense_equivalent(sparse, got, len(entries))
    np.testing.assert_allclose(charge, want["image"].numpy(), rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(label[active], want["label"].numpy()[active])
    assert (want["image"].numpy()[~active] == 0).all() and active.sum() > 100
    full = build_dataset("sparse_segmentation", DataConfig(file=str(sample_path), downsample=downsample))
    assert len(coords) < len(full.read_batch(entries)["coords"])          # the crop did cut pixels away


@pytest.mark.parametrize("box", [None, [5, 4]])
def test_flips_mirror_the_ids_as_the_dense_batch_does(tmp_path, helpers, rng, box):
    path = helpers.write(tmp_path / "e.h5", [helpers.random_event(rng, shapes=((13, 10),) * 3) for _ in range(4)])
    cfg = DataConfig(file=str(path), augment=["wire", "drift"], flip_probability=0.5, downsample=[2, 1], crop=box)
    dense, sparse = build_dataset("segmentation", cfg), build_dataset("sparse_segmentation", cfg)
    for seed in range(4):
        torch.manual_seed(seed)
        want = dense.read_batch([0, 1, 2, 3])
        torch.manual_seed(seed)
        got = sparse.read_batch([0, 1, 2, 3])
        charge, label, active = _dense_equivalent(sparse, got, 4)
        np.testing.assert_allclose(charge, want["image"].numpy(), rtol=1e-6)
        np.testing.assert_array_equal(label[active], want["label"].numpy()[active])


def test_loader_yields_sparse_batches(tmp_path, helpers, rng):
    path = helpers.write(tmp_path / "e.h5", [helpers.random_event(rng) for _ in range(5)])
    cfg = DataConfig(file=str(path), batch_size=2)
    dataset = build_dataset("sparse_segmentation", cfg)
    batches = list(build_loader(dataset, cfg, train=False, rank=0, world_size=1))
    assert [b["entry"].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert [int(b["coords"][:, 0].max()) for b in batches] == [1, 1, 0]
    assert sum(len(b["coords"]) for b in batches) == 5 * 3 * 60


def test_bad_input_is_one_line(tmp_path, helpers, rng):
    path = helpers.write(tmp_path / "e.h5", [helpers.random_event(rng) for _ in range(2)])
    empty = helpers.pixel_event({0: [(1, 1, 5.0, 1)]}, shape=(8, 8))
    nothing = helpers.pixel_event({}, shape=(8, 8))
    path = helpers.write(tmp_path / "empty.h5", [empty, nothing])
    with pytest.raises(DataError, match="event 1.*empty event"):
        build_dataset("sparse_segmentation", DataConfig(file=str(path)))
    dataset = build_dataset("sparse_segmentation", DataConfig(file=str(path), allow_empty=True))
    assert len(dataset.read_batch([1])["coords"]) == 0
    path = helpers.write(tmp_path / "outside.h5", [helpers.pixel_event({0: [(7, 7, 5.0, 1)]}, shape=(8, 8))])
    with h5py.File(path, "r+") as f:                                  # a pixel id past the 8 x 8 image
        voxels = f["Data/sparse2d_sbndwire_group/voxels"]
        row = voxels[0]
        row["id"] = 64
        voxels[0] = row
    with pytest.raises(FormatError, match="outside.h5, product 'sparse2d/sbndwire', event 0: voxel ids beyond"):
        build_dataset("sparse_segmentation", DataConfig(file=str(path))).read_batch([0])


@pytest.mark.parametrize("downsample", [1, [2, 3]])
def test_ids_stored_out_of_order_give_the_same_batch(tmp_path, helpers, rng, downsample):
    path = helpers.write(tmp_path / "e.h5", [helpers.random_event(rng) for _ in range(3)])
    cfg = DataConfig(file=str(path), downsample=downsample)
    want = build_dataset("sparse_segmentation", cfg).read_batch([1, 0, 2])
    with h5py.File(path, "r+") as f:                         # another writer's order: every plane reversed
        for product in ("sbndwire", "sbnd_cosmicseg"):
            group = f[f"Data/sparse2d_{product}_group"]
            voxels = group["voxels"][...]
            for first, n in zip(group["voxel_extents"]["first"], group["voxel_extents"]["N"]):
                voxels[first:first + n] = voxels[first:first + n][::-1]
            group["voxels"][...] = voxels
    got = build_dataset("sparse_segmentation", cfg).read_batch([1, 0, 2])
    for key in ("coords", "label", "entry"):
        assert torch.equal(got[key], want[key]), key
    torch.testing.assert_close(got["features"], want["features"])


def test_labels_and_shapes_that_do_not_fit_are_one_line(tmp_path, helpers):
    good = helpers.pixel_event({0: [(1, 1, 5.0, 1)]})
    bad = helpers.pixel_event({0: [(1, 1, 5.0, 1)], 1: [(2, 2, 5.0, 7)]})
    path = helpers.write(tmp_path / "bad.h5", [good, bad])
    dataset = build_dataset("sparse_segmentation", DataConfig(file=str(path)))
    with pytest.raises(DataError, match=r"bad\.h5, event 1, product sparse2d/sbnd_cosmicseg: label value 7 "):
        dataset.read_batch([0, 1])

    def images(shape, ids, value):
        return [SparseImage(helpers.meta(p, shape), np.array(ids, np.uint64), np.full(len(ids), value, np.float32))
                for p in range(3)]

    path = helpers.write_products(tmp_path / "size.h5", [
        {"sparse2d/sbndwire": images((8, 8), [3], 5.0), "sparse2d/sbnd_cosmicseg": images((8, 16), [3], 1)}])
    with pytest.raises(DataError, match=r"size\.h5, event 0.*plane 0 labels have shape \(8, 16\) but the charge has"):
        build_dataset("sparse_segmentation", DataConfig(file=str(path))).read_batch([0])
    path = helpers.write_products(tmp_path / "grow.h5", [
        {"sparse2d/sbndwire": images((8, 8), [3], 5.0), "sparse2d/sbnd_cosmicseg": images((8, 8), [3], 1)},
        {"sparse2d/sbndwire": images((16, 8), [3], 5.0), "sparse2d/sbnd_cosmicseg": images((16, 8), [3], 1)}])
    with pytest.raises(DataError, match=r"grow\.h5, event 1, product sparse2d/sbndwire: plane 0 of shape \(16, 8\) "
                                        "does not fit"):
        build_dataset("sparse_segmentation", DataConfig(file=str(path))).read_batch([1])
    path = helpers.write_products(tmp_path / "fewer.h5", [      # labels on some charge pixels: background elsewhere
        {"sparse2d/sbndwire": images((8, 8), [3, 9, 20], 5.0), "sparse2d/sbnd_cosmicseg": images((8, 8), [9, 30], 2)}])
    batch = build_dataset("sparse_segmentation", DataConfig(file=str(path))).read_batch([0])
    assert batch["label"].tolist() == [0, 2, 0] * 3 and batch["coords"][:3, 2:].tolist() == [[0, 3], [1, 1], [2, 4]]
