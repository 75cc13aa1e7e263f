"""Datasets over larcv3 files written in the test: tensors, metadata, and the errors bad files give."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.datasets import (
    ClassificationDataset,
    PlaneImageDataset,
    SegmentationDataset,
    SparseDataset,
)
from argonet.errors import ConfigError, DataError, FormatError
from argonet.event import Semantic, SparseImage


def test_segmentation_tensors_match_the_written_pixels(tmp_path, helpers):
    event = helpers.pixel_event({0: [(1, 2, 7.0, 1), (5, 6, 9.0, 2)], 1: [(0, 0, 6.0, 0)], 2: [(7, 7, 8.0, 2)]})
    path = helpers.write(tmp_path / "seg.h5", [event])
    dataset = SegmentationDataset(path)
    item = dataset[0]
    assert dataset.in_channels == 3 and dataset.image_shape == (8, 8)
    assert tuple(dataset.class_names) == ("background", "cosmic", "neutrino")
    assert item["image"].shape == (3, 8, 8) and item["image"].dtype == torch.float32
    assert item["label"].shape == (3, 8, 8) and item["label"].dtype == torch.int64
    assert item["image"][0, 1, 2] == 7.0 and item["image"][0, 5, 6] == 9.0 and item["image"][2, 7, 7] == 8.0
    assert item["image"].sum() == pytest.approx(7 + 9 + 6 + 8)
    assert item["label"][0, 1, 2] == Semantic.COSMIC and item["label"][0, 5, 6] == Semantic.NEUTRINO
    assert item["label"][2, 7, 7] == Semantic.NEUTRINO and item["label"].sum() == 1 + 2 + 2


def test_segmentation_downsampled_labels_and_remapped_numbering(tmp_path, helpers):
    # stored numbering of the older preprocessing (lartpc-physics.md §1.6): cosmic 2, neutrino 1
    event = helpers.pixel_event({0: [(0, 0, 5.0, 2), (1, 1, 6.0, 1), (2, 2, 7.0, 2), (6, 6, 1.0, 0)]}, n_planes=1)
    path = helpers.write(tmp_path / "old.h5", [event])
    item = SegmentationDataset(path, label_values=(0, 2, 1), downsample=2)[0]
    assert item["image"].shape == (1, 4, 4)
    assert item["image"][0, 0, 0] == pytest.approx(11.0) and item["image"].sum() == pytest.approx(19.0)
    # block (0,0) holds a cosmic and a neutrino pixel: neutrino wins
    assert item["label"][0, 0, 0] == Semantic.NEUTRINO
    assert item["label"][0, 1, 1] == Semantic.COSMIC and item["label"][0, 3, 3] == Semantic.BACKGROUND


def test_classification_labels_from_truth_and_metadata(events_file, events):
    dataset = ClassificationDataset(events_file, planes=[2, 0], downsample=(2, 3))
    assert dataset.class_names == ["CCQE", "NCQE"]
    assert dataset.in_channels == 2 and dataset.image_shape == (20, 8)
    assert dataset.class_counts() == {"CCQE": 5, "NCQE": 5}
    for entry in (0, 3):
        item = dataset[entry]
        assert item["image"].shape == (2, 20, 8) and item["label"].dtype == torch.int64
        assert int(item["label"]) == dataset.class_names.index(events[entry].truth.class_name)
        # channel 0 is projection 2: the total charge of that plane, conserved by down-sampling
        assert float(item["image"][0].sum()) == pytest.approx(float(events[entry].charge[2].value.sum()), rel=1e-5)
    fixed = ClassificationDataset(events_file, class_names=["NCQE", "CCQE", "CCRES"])
    assert int(fixed[0]["label"]) == 1
    configured = ClassificationDataset.from_config(DataConfig(file=str(events_file), class_names=["NCQE", "CCQE"]))
    assert configured.class_names == ["NCQE", "CCQE"] and int(configured[1]["label"]) == 0


def test_classification_from_a_particle_field(sample_path, sample_expected):
    dataset = ClassificationDataset(sample_path, class_source="particle:interaction_type", particles="sbndneutrino")
    # the first particle of each event is the neutrino, with its GENIE/Nuance interaction code
    expected = [str(parts[0]["nu_interaction_type"]) for parts in sample_expected["products"]["particle/sbndneutrino"]]
    assert [dataset.class_names[t] for t in dataset.targets] == expected
    with pytest.raises(ConfigError, match="data.class_source"):
        ClassificationDataset(sample_path, class_source="particle:colour")


def test_real_sbnd_sample_reads_as_larcv3_does(sample_path, sample_expected):
    dataset = SegmentationDataset(sample_path)
    assert dataset.image_shape == (2048, 1280) and dataset.in_channels == 3
    batch = dataset.read_batch([2, 0])
    for b, entry in enumerate((2, 0)):
        charge = sample_expected["products"]["sparse2d/sbndwire"][entry]
        labels = sample_expected["products"]["sparse2d/sbnd_cosmicseg"][entry]
        for plane in range(3):
            image, label = batch["image"][b, plane], batch["label"][b, plane]
            assert float(image.sum(dtype=torch.float64)) == pytest.approx(charge[plane]["value_sum"], rel=1e-6)
            assert int(label.sum()) == pytest.approx(labels[plane]["value_sum"])
            for (_, value, (wire, tick)), (_, lab, _) in zip(charge[plane]["samples"], labels[plane]["samples"]):
                assert float(image[wire, tick]) == pytest.approx(value) and int(label[wire, tick]) == lab
    small = PlaneImageDataset(sample_path, downsample=2)
    assert small.image_shape == (1024, 640)          # lartpc-physics.md §1.6, the x2 variant
    total = float(small[1]["image"].sum(dtype=torch.float64))
    assert total == pytest.approx(sum(p["value_sum"] for p in sample_expected["products"]["sparse2d/sbndwire"][1]),
                                  rel=1e-6)


def test_crop_normalise_and_flips(tmp_path, helpers):
    event = helpers.pixel_event({0: [(6, 1, 20.0, 2), (7, 1, 20.0, 2), (0, 7, 30.0, 1)]}, n_planes=1)
    path = helpers.write(tmp_path / "c.h5", [event])
    item = SegmentationDataset(path, crop=(2, 2), normalise="log1p")[0]
    assert item["image"].shape == (1, 2, 2) and item["label"].shape == (1, 2, 2)
    # the box of maximum charge holds the two 20s (40 > 30), labels cut with it
    hit = item["image"][0] > 0
    assert torch.allclose(item["image"][0][hit], torch.log1p(torch.tensor([20.0, 20.0])))
    assert item["label"][0][hit].tolist() == [2, 2] and int(item["label"].sum()) == 4
    flipped = SegmentationDataset(path, augment=["wire", "drift"], flip_probability=1.0)[0]
    assert flipped["image"][0, 8 - 1 - 6, 8 - 1 - 1] == 20.0 and flipped["label"][0, 7, 0] == 1
    assert flipped["image"][0, 7, 0] == 30.0


def test_sparse_dataset_points(events_file, events):
    dataset = SparseDataset(events_file, labels="sbnd_cosmicseg", downsample=2)
    item = dataset[4]
    coords, features, label = item["coords"], item["features"], item["label"]
    assert coords.dtype == torch.int64 and coords.shape[1] == 3 and features.shape == (len(coords), 1)
    assert label.shape == (len(coords),) and set(label.tolist()) <= {0, 1, 2}
    assert coords[:, 0].max() == 2 and coords[:, 1].max() < 20 and coords[:, 2].max() < 12
    total = sum(float(image.value.sum()) for image in events[4].charge)
    assert float(features.sum()) == pytest.approx(total, rel=1e-5)
    dense = np.zeros((3, 20, 12), np.float32)
    dense[tuple(coords.T.numpy())] = features[:, 0].numpy()
    expected = PlaneImageDataset(events_file, downsample=2)[4]["image"].numpy()
    np.testing.assert_allclose(dense, expected, rtol=1e-5)


def test_from_config(events_file):
    cfg = DataConfig(file=str(events_file), downsample=[2, 4], planes=[1], normalise="scale", scale=0.5)
    dataset = SegmentationDataset.from_config(cfg)
    assert dataset.factors == (2, 4) and dataset.plane_ids == [1] and dataset.image_shape == (20, 6)
    assert dataset[0]["image"].shape == (1, 20, 6)


def test_bad_label_value_names_file_and_event(tmp_path, helpers):
    good = helpers.pixel_event({0: [(1, 1, 5.0, 1)]})
    bad = helpers.pixel_event({0: [(1, 1, 5.0, 1)], 1: [(2, 2, 5.0, 7)]})
    path = helpers.write(tmp_path / "bad.h5", [good, bad])
    dataset = SegmentationDataset(path)
    with pytest.raises(DataError, match=r"bad\.h5, event 1, product sparse2d/sbnd_cosmicseg: label value 7 "):
        dataset.read_batch([0, 1])
    half = helpers.write(tmp_path / "half.h5", [helpers.pixel_event({0: [(1, 1, 5.0, 0.5)]})])
    with pytest.raises(DataError, match="label value 0.5"):
        SegmentationDataset(half)[0]


def _images(helpers, n_planes: int, shape=(8, 8), value: float = 5.0) -> list[SparseImage]:
    return [SparseImage(helpers.meta(p, shape), np.array([3], np.uint64), np.array([value], np.float32))
            for p in range(n_planes)]


def test_plane_count_mismatch_between_charge_and_labels(tmp_path, helpers):
    path = helpers.write_products(tmp_path / "planes.h5", [
        {"sparse2d/sbndwire": _images(helpers, 3), "sparse2d/sbnd_cosmicseg": _images(helpers, 3, value=1)},
        {"sparse2d/sbndwire": _images(helpers, 3), "sparse2d/sbnd_cosmicseg": _images(helpers, 2, value=1)},
    ])
    dataset = SegmentationDataset(path)
    dataset[0]
    with pytest.raises(DataError, match=r"planes\.h5, event 1, product sparse2d/sbnd_cosmicseg: projection 2 "):
        dataset[1]


def test_plane_size_mismatch_between_charge_and_labels(tmp_path, helpers):
    path = helpers.write_products(tmp_path / "size.h5", [
        {"sparse2d/sbndwire": _images(helpers, 3),
         "sparse2d/sbnd_cosmicseg": _images(helpers, 2, value=1) + _images(helpers, 3, (8, 16), 1)[2:]},
    ])
    with pytest.raises(DataError, match=r"size\.h5, event 0.*plane 2 labels have shape \(8, 16\) but the charge has"):
        SegmentationDataset(path)[0]


def test_plane_larger_than_the_first_event(tmp_path, helpers):
    path = helpers.write_products(tmp_path / "grow.h5", [
        {"sparse2d/sbndwire": _images(helpers, 3), "sparse2d/sbnd_cosmicseg": _images(helpers, 3, value=1)},
        {"sparse2d/sbndwire": _images(helpers, 3, (16, 8)), "sparse2d/sbnd_cosmicseg": _images(helpers, 3, (16, 8), 1)},
    ])
    with pytest.raises(DataError, match=r"grow\.h5, event 1.*does not fit the image shape \(8, 8\)"):
        SegmentationDataset(path)[1]


def test_empty_event_is_refused_when_the_dataset_is_built(tmp_path, helpers, rng):
    """From the index tables, before any training starts; the per-batch check stays for datasets
    whose option is changed later."""
    path = helpers.write(tmp_path / "empty.h5", [helpers.random_event(rng), helpers.pixel_event({})])
    with pytest.raises(DataError, match=r"empty\.h5, event 1, product sparse2d/sbndwire: empty event \(.*1 of 2 "
                                        r"events are empty\); remove them or set data.allow_empty=true"):
        SegmentationDataset(path)
    dataset = PlaneImageDataset(path, allow_empty=True)
    assert dataset[1]["image"].sum() == 0
    dataset.allow_empty = False
    with pytest.raises(DataError, match=r"empty\.h5, event 1, product sparse2d/sbndwire: empty event"):
        dataset.read_batch([0, 1])


def test_missing_class_labels(tmp_path, helpers, rng):
    events = [helpers.random_event(rng), helpers.random_event(rng, class_name=None)]
    path = helpers.write(tmp_path / "noclass.h5", events)
    with pytest.raises(DataError, match=r"noclass\.h5, event 1: no event class stored"):
        ClassificationDataset(path)
    with pytest.raises(DataError, match="not one of the configured classes"):
        ClassificationDataset(helpers.write(tmp_path / "one.h5", [helpers.random_event(rng)]), class_names=["NC"])


def test_unknown_products_and_planes(events_file):
    with pytest.raises(FormatError, match="did you mean sbnd_cosmicseg"):
        SegmentationDataset(events_file, labels="sbnd_cosmicsg")
    with pytest.raises(ConfigError, match=r"^data.planes: projection 5 is not in file .*events\.h5, event 0"):
        PlaneImageDataset(events_file, planes=[0, 5])
    with pytest.raises(FormatError, match="no such file"):
        PlaneImageDataset(events_file.with_name("missing.h5"))
