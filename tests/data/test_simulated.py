"""Files made by ``argonet simulate`` load through the datasets with the right shapes and labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argonet.cli.main import main
from argonet.data.datasets import ClassificationDataset, SegmentationDataset, SparseDataset
from argonet.io import Larcv3File


@pytest.fixture(scope="module")
def crop_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "crops.h5"
    assert main(["simulate", "n_events=12", "progress=false", "image.crop_wires=64", "image.crop_ticks=96",
                 f"output={path}"]) == 0
    return path


@pytest.fixture(scope="module")
def full_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "full.h5"
    assert main(["simulate", "n_events=2", "progress=false", "generator.cosmics=true", "image.mode=full",
                 "generator.classes=[CCQE]", f"output={path}"]) == 0
    return path


def test_classification_tensors_follow_the_truth(crop_file):
    ds = ClassificationDataset(str(crop_file))
    assert ds.in_channels == 3 and tuple(ds.image_shape) == (64, 96)
    assert set(ds.class_names) <= {"CCQE", "CCRES", "NCQE", "NCRES"}
    with Larcv3File(crop_file) as f:
        for entry in range(len(ds)):
            item = ds[entry]
            assert item["image"].shape == (3, 64, 96) and item["image"].dtype == torch.float32
            assert ds.class_names[int(item["label"])] == f.truth(entry).class_name
            dense = np.stack([s.dense() for s in f.sparse2d("sbndwire", entry)])
            assert np.allclose(item["image"].numpy(), dense)


def test_segmentation_of_full_readout_downsampled(full_file):
    ds = SegmentationDataset(str(full_file), downsample=4)
    item = ds[0]
    assert item["image"].shape == (3, 512, 320) and item["label"].shape == (3, 512, 320)
    labels = item["label"].numpy()
    assert set(np.unique(labels)) <= {0, 1, 2}
    assert (labels == 1).sum() > 100 and (labels == 2).sum() > 0      # cosmics and the neutrino
    with Larcv3File(full_file) as f:                                     # charge is conserved by the sum
        total = sum(float(s.value.astype(np.float64).sum()) for s in f.sparse2d("sbndwire", 0))
    assert item["image"].double().sum().item() == pytest.approx(total, rel=1e-5)
    assert (item["image"][torch.from_numpy(labels) > 0] > 0).all()


def test_sparse_points_cover_every_stored_pixel(crop_file):
    ds = SparseDataset(str(crop_file), labels="sbnd_cosmicseg")
    item = ds[3]
    with Larcv3File(crop_file) as f:
        n = sum(len(s.index) for s in f.sparse2d("sbndwire", 3))
    assert item["coords"].shape == (n, 3) and item["features"].shape == (n, 1)
    assert set(item["label"].unique().tolist()) <= {0, 2}                # no cosmics simulated here
