"""Datasets over the experiments' files (CVN maps, LArCV2 ROOT, Wire-Cell frames), chosen by ``data.format``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.loader import build_dataset, build_loaders
from argonet.data.real import CvnDataset, Larcv2Dataset, WireCellSegmentation
from argonet.errors import ConfigError, DataError, FormatError
from argonet.io.dune_cvn import read_pixel_map

DATA = Path(__file__).parents[2].parent / "shared" / "data"


def shared(path: str) -> str:
    """A shared file or folder, or a failure saying where it should be."""
    full = DATA / path
    if not full.exists():
        pytest.fail(f"shared data missing: {full} (the tests read ../shared relative to the repository)")
    return str(full)


def test_cvn_dataset_serves_event_classes():
    dataset = build_dataset("classification", DataConfig(file=shared("dune_cvn/dataset_info"), format="cvn"))
    assert isinstance(dataset, CvnDataset)
    assert dataset.class_names == ["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"]
    assert dataset.class_counts() == dict.fromkeys(dataset.class_names, 200)
    assert (dataset.in_channels, dataset.image_shape, dataset.plane_ids) == (3, (500, 500), [0, 1, 2])
    item = dataset[250]                                      # nue folder, event 50 (events sorted numerically)
    assert item["image"].dtype == torch.float32 and item["image"].shape == (3, 500, 500)
    assert int(item["label"]) == 1 and int(item["entry"]) == 250
    raw = read_pixel_map(DATA / "dune_cvn/dataset_info/nue/event50.gz")
    np.testing.assert_array_equal(item["image"].numpy(), raw.astype(np.float32))
    assert dataset.truth(250).class_name == "NUE_CC"


def test_cvn_halves_are_stratified_disjoint_and_seeded():
    dataset = CvnDataset(shared("dune_cvn/dataset_info"))
    adapt, test = dataset.halves(100, 0)
    assert np.bincount(dataset.targets[adapt]).tolist() == [100] * 4 and len(test) == 400
    assert not set(adapt.tolist()) & set(test.tolist()) and sorted([*adapt, *test]) == list(range(800))
    again, _ = dataset.halves(100, 0)
    other, _ = dataset.halves(100, 1)
    assert again.tolist() == adapt.tolist() and other.tolist() != adapt.tolist()
    with pytest.raises(DataError, match=r"^per_class=200: class NUMU_CC has 200 events"):
        dataset.halves(200, 0)


def test_cvn_options_select_classes_and_shape_images():
    cfg = DataConfig(file=shared("dune_cvn/dataset_info"), format="cvn", class_names=["NC", "NUMU_CC", "NUE_CC"],
                     planes=[2], downsample=[2, 4], crop=[64, 32], normalise="scale", scale=1 / 255)
    dataset = build_dataset("classification", cfg)
    assert len(dataset) == 600 and dataset.class_counts() == {"NC": 200, "NUMU_CC": 200, "NUE_CC": 200}
    assert dataset.image_shape == (64, 32) and dataset.plane_ids == [2]
    item = dataset[0]                                         # numu event 0 → label of NUMU_CC in the given order
    assert int(item["label"]) == 1 and item["image"].shape == (1, 64, 32)
    summed = read_pixel_map(DATA / "dune_cvn/dataset_info/numu/event0.gz")[2].astype(np.float64)
    summed = summed.reshape(250, 2, 125, 4).sum(axis=(1, 3))
    assert float(item["image"].max()) == pytest.approx(summed.max() / 255, rel=1e-6)
    loaders = build_loaders(dataset, DataConfig(file="x", format="cvn", batch_size=8, split=[0.02, 0.01, 0.01]),
                            rank=0, world_size=1)
    batch = next(iter(loaders["train"]))
    assert batch["image"].shape == (8, 1, 64, 32) and batch["label"].shape == (8,)
    with pytest.raises(ConfigError, match=r"^data.class_names: \['NUMU'\] are not CVN classes"):
        CvnDataset(shared("dune_cvn/original_20"), ["NUMU"])
    with pytest.raises(ConfigError, match=r"^data.planes: plane 3 is not in the data"):
        CvnDataset(shared("dune_cvn/original_20"), planes=[3])
    with pytest.raises(ConfigError, match=r"^data.file: .*partition.json does not exist or is not a folder"):
        DataConfig(file=shared("dune_cvn/original_20/dataset/partition.json"), format="cvn").paths()


def test_larcv2_dataset_classes_from_the_particles():
    files = [shared("larcv_tutorial/electron.root"), shared("larcv_tutorial/proton.root")]
    dataset = build_dataset("classification", DataConfig(file=files, format="larcv2"))
    assert isinstance(dataset, Larcv2Dataset)
    assert dataset.class_names == ["11", "2212"] and dataset.class_counts() == {"11": 10, "2212": 10}
    assert dataset.image_shape == (256, 256) and dataset.plane_ids == [0, 1, 2]
    assert int(dataset[3]["label"]) == 0 and int(dataset[13]["label"]) == 1
    assert float(dataset[0]["image"][0, 206, 204]) == pytest.approx(570.1023)
    named = Larcv2Dataset(files, class_source="particle:pdg", particles="mctruth", class_names=["2212", "11"])
    assert named.targets[:10].tolist() == [1] * 10
    with pytest.raises(ConfigError, match=r"^data.class_source: unknown particle field 'colour'"):
        Larcv2Dataset(files, class_source="particle:colour")
    with pytest.raises(FormatError, match=r"no image2d product 'wire' \(data.charge\)"):
        Larcv2Dataset(files, image="wire")
    with pytest.raises(DataError, match=r"proton.root, event 0: class '2212' is not one of the configured"):
        Larcv2Dataset(files, class_names=["11"])


def test_wirecell_segmentation_dataset():
    files = [shared("dune_fd_wirecell_seg/test3_g4-rec.h5"), shared("dune_fd_wirecell_seg/rebin_4_g4-tru.h5")]
    dataset = build_dataset("segmentation", DataConfig(file=files, format="wirecell"))
    assert isinstance(dataset, WireCellSegmentation) and len(dataset) == 10
    assert dataset.class_names == ["background", "track", "shower"]
    assert (dataset.in_channels, dataset.image_shape) == (3, (960, 1500))
    item = dataset[0]
    image, label = item["image"].numpy(), item["label"].numpy()
    assert label.dtype == np.int64 and label.shape == image.shape
    assert not image[0, 800:].any() and not label[0, 800:].any()          # U padded from 800 to 960 wires
    assert (image[label > 0] != 0).all()                                   # truth only where there is charge
    counts = np.bincount(label.ravel(), minlength=3)
    # README: event 1 truth is mostly PID 22 (shower), then muons, pions, protons, electrons
    assert counts[2] > counts[1] > 0 and counts[1] + counts[2] == 22113
    small = WireCellSegmentation(files, downsample=[1, 4], planes=[2], label_dtype="uint8")
    assert small.image_shape == (960, 375) and small[0]["label"].dtype == torch.uint8
    assert float(small[0]["image"].sum()) == pytest.approx(float(item["image"][2].sum()), rel=1e-5)
    with pytest.raises(FormatError, match=r"no frame tag 'pid_3rd' \(data.labels\)"):
        WireCellSegmentation(files, labels="pid_3rd")
    with pytest.raises(ConfigError, match=r"^data.format: wirecell files give no classification dataset"):
        build_dataset("classification", DataConfig(file=files, format="wirecell"))
