"""Transforms: down-sampling by sum and by max label, the max-charge box, flips, normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argonet.data.transforms import (
    as_factors,
    crop,
    crop_corners,
    crop_sparse,
    densify,
    downsample_dense,
    downsample_sparse,
    downsampled_shape,
    flip,
    flip_ids,
    map_labels,
    max_charge_box,
    normalise,
    planes_to_channels,
)
from argonet.errors import ConfigError
from argonet.event import ImageMeta, SparseImage


def _sparse(image: np.ndarray) -> SparseImage:
    """A plane with 0.3 cm pixels holding the non-zero pixels of ``image``."""
    shape = image.shape
    return SparseImage.from_dense(ImageMeta(0, shape, (shape[0] * 0.3, shape[1] * 0.3), (0.0, 0.0)), image)


def test_downsample_sums_blocks_by_hand():
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    # blocks of 2 wires x 2 ticks: [0+1+4+5, 2+3+6+7; 8+9+12+13, 10+11+14+15]
    assert downsample_dense(image, (2, 2)).tolist() == [[10, 18], [42, 50]]
    # 1 wire x 4 ticks: each row summed
    assert downsample_dense(image, (1, 4)).ravel().tolist() == [6, 22, 38, 54]


@pytest.mark.parametrize("factors", [(2, 2), (4, 4), (1, 4), (3, 5), (8, 1)])
def test_downsample_conserves_total_charge(rng, factors):
    image = np.where(rng.random((37, 53)) < 0.1, rng.uniform(5, 100, (37, 53)), 0).astype(np.float32)
    total = float(image.sum(dtype=np.float64))
    dense = downsample_dense(image, factors)
    assert dense.shape == downsampled_shape(image.shape, factors)
    assert float(dense.sum(dtype=np.float64)) == pytest.approx(total, rel=1e-6)
    sparse = downsample_sparse(_sparse(image), factors)
    assert float(sparse.value.sum(dtype=np.float64)) == pytest.approx(total, rel=1e-6)
    np.testing.assert_allclose(sparse.dense(), dense, rtol=1e-6)
    np.testing.assert_allclose(densify(_sparse(image), factors), dense, rtol=1e-6)
    torch_dense = downsample_dense(torch.from_numpy(image), factors)
    np.testing.assert_allclose(torch_dense.numpy(), dense, rtol=1e-6)


def test_downsampled_cosmic_tagger_shape():
    # lartpc-physics.md §1.6: the x2-downsampled CosmicTagger variant is 1024 x 640 per plane,
    # from 2048 wires x 1280 rows at full resolution.
    assert downsampled_shape((2048, 1280), (2, 2)) == (1024, 640)
    pitch_cm = ImageMeta(0, (2048, 1280), (614.4, 400.0), (0.0, -200.0)).pixel_cm
    small = downsample_sparse(SparseImage(ImageMeta(0, (2048, 1280), (614.4, 400.0), (0.0, -200.0)),
                                          np.zeros(0, np.uint64), np.zeros(0, np.float32)), (2, 2)).meta
    assert small.shape == (1024, 640)
    assert small.pixel_cm == pytest.approx((2 * pitch_cm[0], 2 * pitch_cm[1]))
    assert small.origin_cm == (0.0, -200.0)


def test_label_downsample_takes_neutrino_over_cosmic_over_background():
    # 2 x 2 blocks: {0,0,0,0} -> 0, {0,1,0,0} -> 1, {1,2,0,0} -> 2, {0,2,1,1} -> 2, {1,1,0,1} -> 1
    labels = np.array([[0, 0, 0, 1, 1, 2, 0, 2, 1, 1],
                       [0, 0, 0, 0, 0, 0, 1, 1, 0, 1]], dtype=np.float32)
    expected = [[0, 1, 2, 2, 1]]
    assert downsample_dense(labels, (2, 2), "max").tolist() == expected
    assert downsample_sparse(_sparse(labels), (2, 2), "max").dense().tolist() == expected
    assert densify(_sparse(labels), (2, 2), "max").tolist() == expected


def test_map_labels_reports_first_bad_value():
    lut = np.full(256, -1)
    lut[[0, 2, 1]] = [0, 1, 2]                        # stored numbering with cosmic=2, neutrino=1
    mapped, bad = map_labels(np.array([0, 2, 1, 2], np.float32), lut)
    assert bad == -1 and mapped.tolist() == [0, 1, 2, 1]
    assert map_labels(np.array([0, 1, 3], np.float32), lut)[1] == 2
    assert map_labels(np.array([0, 1.5], np.float32), lut)[1] == 1
    assert map_labels(np.array([-1, 0], np.float32), lut)[1] == 0
    assert map_labels(np.array([0, np.nan], np.float32), lut)[1] == 1


def test_max_charge_box_finds_the_hand_placed_blob():
    image = np.zeros((50, 60), np.float32)
    image[30:33, 12:15] = 10.0                        # 3 x 3 blob, 90 in total
    image[5, 50] = 80.0                               # brightest pixel, but less than the blob
    image[45, 2] = 5.0
    assert max_charge_box(image, (3, 3)) == (30, 12)
    # a 5 x 5 box containing the whole blob; the first such corner in C order
    assert max_charge_box(image, (5, 5)) == (28, 10)
    # a box as large as the image starts at the origin; a larger one is clamped
    assert max_charge_box(image, (50, 60)) == (0, 0)
    assert max_charge_box(image, (80, 90)) == (0, 0)


def test_max_charge_box_agrees_with_brute_force(rng):
    image = rng.random((23, 31)).astype(np.float32)
    box = (7, 4)
    sums = np.array([[image[i:i + 7, j:j + 4].sum() for j in range(31 - 3)] for i in range(23 - 6)])
    assert max_charge_box(image, box) == tuple(int(k) for k in np.unravel_index(np.argmax(sums), sums.shape))


def test_crop_per_plane_and_common():
    planes = np.zeros((2, 20, 20), np.float32)
    planes[0, 2:4, 3:5] = 1.0
    planes[1, 15:17, 10:12] = 3.0
    assert crop_corners(planes, (2, 2)) == [(2, 3), (15, 10)]
    assert crop_corners(planes, (2, 2), "common") == [(15, 10), (15, 10)]
    cut = crop(planes, crop_corners(planes, (2, 2)), (2, 2))
    assert cut.shape == (2, 2, 2) and cut.sum() == pytest.approx(4 + 12)
    with pytest.raises(ConfigError, match="crop_mode"):
        crop_corners(planes, (2, 2), "middle")


def test_crop_sparse_matches_dense_crop(rng):
    image = np.where(rng.random((30, 40)) < 0.2, rng.uniform(1, 9, (30, 40)), 0).astype(np.float32)
    corner, box = (7, 11), (10, 12)
    cut = crop_sparse(_sparse(image), corner, box)
    np.testing.assert_array_equal(cut.dense(), image[7:17, 11:23])
    assert cut.meta.origin_cm == pytest.approx((7 * 0.3, 11 * 0.3))


def test_flips_mirror_one_axis_and_never_mix_planes():
    planes = np.zeros((3, 4, 5), np.float32)
    for c in range(3):
        planes[c, 1, 2] = c + 1                       # one pixel per plane, value = plane number
    wire = flip(planes, ["wire"])
    drift = flip(planes, ["drift"])
    for c in range(3):
        assert wire[c, 4 - 1 - 1, 2] == c + 1 and wire[c].sum() == c + 1
        assert drift[c, 1, 5 - 1 - 2] == c + 1 and drift[c].sum() == c + 1
    np.testing.assert_array_equal(flip(flip(planes, ["wire", "drift"]), ["drift", "wire"]), planes)
    torch_flip = flip(torch.from_numpy(planes), ["wire"])
    np.testing.assert_array_equal(torch_flip.numpy(), wire)
    with pytest.raises(ConfigError, match="augment"):
        flip(planes, ["time"])


def test_flip_ids_matches_dense_flip(rng):
    image = np.where(rng.random((9, 13)) < 0.3, rng.uniform(1, 9, (9, 13)), 0).astype(np.float32)
    sparse = _sparse(image)
    for axes in (["wire"], ["drift"], ["wire", "drift"]):
        out = np.zeros_like(image)
        out.reshape(-1)[flip_ids(sparse.index, image.shape, axes)] = sparse.value
        np.testing.assert_array_equal(out, flip(image, axes))


def test_normalise_log1p_scale_and_clip():
    x = np.array([0.0, np.e - 1, -(np.e - 1), 100.0], np.float32)
    np.testing.assert_allclose(normalise(x.copy(), "log1p"), [0, 1, -1, np.log(101)], rtol=1e-6)
    np.testing.assert_allclose(normalise(x.copy(), "scale", scale=0.1, clip=5.0), [0, 0.1718282, -0.1718282, 5.0],
                               rtol=1e-5)
    t = normalise(torch.tensor([0.0, np.e - 1]), "log1p")
    np.testing.assert_allclose(t.numpy(), [0, 1], rtol=1e-6)
    with pytest.raises(ConfigError, match="normalise"):
        normalise(x, "sqrt")


def test_planes_to_channels_pads_smaller_planes():
    u = np.ones((4, 6), np.float32)
    y = 2 * np.ones((3, 6), np.float32)
    stacked = planes_to_channels([u, u, y])
    assert stacked.shape == (3, 4, 6)
    assert stacked[2, :3].min() == 2 and stacked[2, 3].max() == 0


def test_factor_parsing_names_the_field():
    assert as_factors(2) == (2, 2) and as_factors([2, 4]) == (2, 4)
    for bad in (0, [1, 0], [1, 2, 3], "2", 1.5):
        with pytest.raises(ConfigError, match="^downsample"):
            as_factors(bad)
