"""Jet-image HDF5 files: the HSF layout (read and write) and the hls4ml layout (read)."""

from __future__ import annotations

import pickle

import h5py
import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.io import JetImageFile, read_jet_images, write_jet_images

HLS4ML_NAMES = ["j_ptfrac", "j_pt", "j_eta", "j_mass", "j_tau1_b1", "j_zlogz", "j_g", "j_q", "j_w", "j_z", "j_t",
                "j_undef"]


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).gamma(1.0, 2.0, (n, 5, 7)).astype(np.float32)


def test_hsf_round_trip(tmp_path):
    images, labels = _images(6), np.array([0, 1, 1, 2, 0, 2])
    features = {"pt_GeV": np.linspace(500, 600, 6), "mass_GeV": np.arange(6.0)}
    path = write_jet_images(tmp_path / "jets.h5", images, labels, ["qcd", "top", "W"], features=features,
                            attrs={"generator": "argonet jets", "seed": 3})
    jets = read_jet_images(path)
    assert np.array_equal(jets.images, images) and jets.images.dtype == np.float32
    assert jets.labels.tolist() == labels.tolist() and jets.class_names == ["qcd", "top", "W"]
    assert jets.features.dtype.names == ("pt_GeV", "mass_GeV")
    assert np.array_equal(jets.features["pt_GeV"], features["pt_GeV"])
    assert jets.attrs["generator"] == "argonet jets" and jets.attrs["seed"] == 3
    with pytest.raises(FormatError, match="overwrite"):
        write_jet_images(path, images, labels, ["qcd", "top", "W"])


def test_lazy_file_slices_and_pickles(tmp_path):
    images = _images(10, seed=1)
    path = write_jet_images(tmp_path / "jets.h5", images, np.arange(10) % 2, ["q", "g"])
    with JetImageFile(path) as f:
        assert len(f) == 10 and f.layout == "hsf" and f.image_shape == (5, 7)
        assert np.array_equal(f.images(3, 6), images[3:6])
        clone = pickle.loads(pickle.dumps(f))
        assert np.array_equal(clone.images(9, 10), images[9:10]) and clone.labels.tolist() == f.labels.tolist()


def test_hsf_one_hot_labels_and_default_class_names(tmp_path):
    path = tmp_path / "onehot.h5"
    with h5py.File(path, "w") as f:
        f["images"] = _images(3)
        f["labels"] = np.array([[0, 1], [1, 0], [0, 1]], np.float32)
    jets = read_jet_images(path)
    assert jets.labels.tolist() == [1, 0, 1] and jets.class_names == ["0", "1"]


def _hls4ml(path, n: int = 4, names: bool = True) -> np.ndarray:
    """A file with the hls4ml layout: jetImage, jets (features + one-hot labels), jetFeatureNames."""
    classes = np.array([4, 0, 2, 1])[:n]
    jets = np.zeros((n, len(HLS4ML_NAMES)), np.float32)
    jets[:, 1] = np.linspace(900, 1100, n)
    jets[np.arange(n), HLS4ML_NAMES.index("j_g") + classes] = 1.0
    with h5py.File(path, "w") as f:
        f["jetImage"] = _images(n, seed=2)
        f["jets"] = jets
        if names:
            f["jetFeatureNames"] = np.array([name.encode() for name in HLS4ML_NAMES])
        f["jetConstituentList"] = np.zeros((n, 3, 16), np.float32)
    return classes


def test_hls4ml_layout(tmp_path):
    classes = _hls4ml(tmp_path / "hls.h5")
    jets = read_jet_images(tmp_path / "hls.h5")
    assert jets.labels.tolist() == classes.tolist()
    assert jets.class_names == ["gluon", "light_quark", "W", "Z", "top"]
    assert jets.images.shape == (4, 5, 7)
    assert np.allclose(jets.features["j_pt"], np.linspace(900, 1100, 4))
    classes = _hls4ml(tmp_path / "bare.h5", names=False)     # no names: the tutorials' jets[:, -6:-1]
    assert read_jet_images(tmp_path / "bare.h5").labels.tolist() == classes.tolist()


def test_inconsistent_files_name_file_and_dataset(tmp_path):
    path = tmp_path / "short.h5"
    with h5py.File(path, "w") as f:
        f["images"] = _images(4)
        f["labels"] = np.array([0, 1, 0])
    with pytest.raises(FormatError, match=r"short.h5.*'images'.*4 images but 3 labels"):
        JetImageFile(path)
    with h5py.File(path, "w") as f:
        f["images"] = _images(3)
        f["labels"] = np.array([0, 1, 5])
        f.attrs["class_names"] = '["q", "g"]'
    with pytest.raises(FormatError, match=r"short.h5.*'labels'.*label 5 is outside"):
        JetImageFile(path)
    _hls4ml(path)
    with h5py.File(path, "a") as f:
        f["jets"][0, HLS4ML_NAMES.index("j_q")] = 1.0            # two classes at once
    with pytest.raises(FormatError, match=r"'jets'.*one-hot"):
        JetImageFile(path)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["something"] = np.zeros(3)
    with pytest.raises(FormatError, match="other.h5.*no jet images"):
        JetImageFile(tmp_path / "other.h5")


def test_writer_checks_its_input(tmp_path):
    with pytest.raises(FormatError, match="labels"):
        write_jet_images(tmp_path / "a.h5", _images(3), [0, 1], ["a", "b"])
    with pytest.raises(FormatError, match="labels must lie"):
        write_jet_images(tmp_path / "a.h5", _images(2), [0, 2], ["a", "b"])
    with pytest.raises(FormatError, match="features"):
        write_jet_images(tmp_path / "a.h5", _images(2), [0, 1], ["a", "b"], features={"x": np.zeros(3)})
    assert list(tmp_path.iterdir()) == []
