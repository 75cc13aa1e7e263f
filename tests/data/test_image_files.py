"""Classification datasets over image folders and jet-image files, and their choice by ``data.format``."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.conf.data import DataConfig
from argonet.data.image_files import ImageFolderDataset, JetImageDataset
from argonet.data.loader import build_dataset
from argonet.errors import ConfigError, FormatError


def test_image_folder_and_jet_datasets(tmp_path, rng):
    from argonet.io import write_jet_images

    for name in ("muon", "electron"):
        (tmp_path / "folder" / name).mkdir(parents=True)
        for i in range(2):
            np.save(tmp_path / "folder" / name / f"{i}.npy", rng.random((3, 5, 7)).astype(np.float32))
    folder = ImageFolderDataset(tmp_path / "folder")
    assert folder.class_names == ["electron", "muon"] and folder.in_channels == 3 and folder.image_shape == (5, 7)
    assert folder[3]["image"].shape == (3, 5, 7) and int(folder[3]["label"]) == 1
    images = rng.random((4, 6, 6)).astype(np.float32)
    path = write_jet_images(tmp_path / "jets.h5", images, np.array([0, 1, 1, 0]), ["q", "g"])
    jets = JetImageDataset(path)
    assert jets.class_names == ["q", "g"] and jets.image_shape == (6, 6)
    np.testing.assert_allclose(jets[2]["image"][0].numpy(), images[2])
    assert int(jets[2]["label"]) == 1


def test_jet_datasets_read_as_channels(tmp_path, rng):
    """data.jet_images stacks image datasets of the same jets as channels, in the order given, in
    single reads and batch reads alike; a missing dataset or one of another shape is refused."""
    from argonet.io import write_jet_images

    full = rng.random((4, 6, 6)).astype(np.float32)
    groomed = full * (rng.random((4, 6, 6)) > 0.5)
    path = write_jet_images(tmp_path / "jets.h5", full, np.array([0, 1, 1, 0]), ["q", "g"],
                            extra_images={"images_groomed": groomed})
    cfg = DataConfig(file=str(path), format="jets", jet_images=["images_groomed", "images"])
    jets = build_dataset("classification", cfg)
    assert jets.in_channels == 2 and jets.plane_ids == [0, 1] and jets.image_shape == (6, 6)
    np.testing.assert_allclose(jets[1]["image"].numpy(), np.stack([groomed[1], full[1]]))
    batch = jets.read_batch([3, 0])
    np.testing.assert_allclose(batch["image"].numpy(), np.stack([groomed[[3, 0]], full[[3, 0]]], axis=1))
    with pytest.raises(FormatError, match=r"jets\.h5.*images_tight.*no such image dataset"):
        JetImageDataset(path, images=["images", "images_tight"])
    with pytest.raises(FormatError, match=r"shape \(4, 3, 3\) differs from the images' \(4, 6, 6\)"):
        write_jet_images(tmp_path / "bad.h5", full, np.zeros(4), ["q"], extra_images={"small": full[:, :3, :3]})
    with pytest.raises(ConfigError, match=r"^data.jet_images: expected a non-empty list of distinct"):
        DataConfig(file=str(path), format="jets", jet_images=["images", "images"])


def test_format_picks_the_dataset(tmp_path, rng):
    from argonet.io import write_jet_images

    path = write_jet_images(tmp_path / "jets.h5", rng.random((5, 4, 4)).astype(np.float32),
                            np.array([0, 1, 1, 1, 0]), ["q", "g"])
    jets = build_dataset("classification", DataConfig(file=str(path), format="jets"))
    assert isinstance(jets, JetImageDataset)
    assert jets.class_counts() == {"q": 2, "g": 3} and jets.plane_ids == [0]
    with pytest.raises(ConfigError, match=r"^data.format: jets files give no segmentation dataset"):
        build_dataset("segmentation", DataConfig(file=str(path), format="jets"))
    with pytest.raises(ConfigError, match=r"^data.format: unknown file format 'root'"):
        DataConfig(file=str(path), format="root")
    with pytest.raises(ConfigError, match=r"^data.file: .*jets.h5 does not exist or is not a folder"):
        DataConfig(file=str(path), format="folder").paths()
