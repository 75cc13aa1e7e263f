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


def test_chain_reads_shards_in_order(tmp_path):
    from argonet.io import JetImageChain

    images = _images(7, seed=4)
    first = write_jet_images(tmp_path / "a.h5", images[:3], [0, 1, 0], ["q", "g"], features={"x": np.arange(3.0)})
    second = write_jet_images(tmp_path / "b.h5", images[3:], [1, 1, 0, 1], ["q", "g"],
                              features={"x": np.arange(3.0, 7)})
    with JetImageChain([first, second]) as chain:
        assert len(chain) == 7 and chain.class_names == ["q", "g"] and chain.image_shape == (5, 7)
        assert chain.labels.tolist() == [0, 1, 0, 1, 1, 0, 1]
        np.testing.assert_array_equal(chain.images(2, 5), images[2:5])        # across the file boundary
        np.testing.assert_array_equal(chain.images(), images)
        np.testing.assert_array_equal(chain.features["x"], np.arange(7.0))
        clone = pickle.loads(pickle.dumps(chain))
        np.testing.assert_array_equal(clone.images(6, 7), images[6:7])
    other = write_jet_images(tmp_path / "c.h5", images[:2], [0, 1], ["g", "q"])
    with pytest.raises(FormatError, match=r"c.h5.*class_names \['g', 'q'\] differ from \['q', 'g'\]"):
        JetImageChain([first, other])
    small = write_jet_images(tmp_path / "d.h5", images[:2, :4], [0, 1], ["q", "g"])
    with pytest.raises(FormatError, match=r"d.h5.*image_shape \(4, 7\) differ"):
        JetImageChain([first, small])


@pytest.mark.parametrize("in_memory", [True, False])
def test_take_reads_any_entries_in_the_order_given(tmp_path, monkeypatch, in_memory):
    import argonet.io.jets as jets_module
    from argonet.io import JetImageChain

    if not in_memory:
        monkeypatch.setattr(jets_module, "IN_MEMORY_BYTES", 0)            # point reads, as for big files
    images = _images(9, seed=5)
    paths = [write_jet_images(tmp_path / "a.h5", images[:4], [0] * 4, ["q", "g"]),
             write_jet_images(tmp_path / "b.h5", images[4:], [1] * 5, ["q", "g"])]
    with JetImageChain(paths) as chain:
        entries = np.array([8, 0, 5, 5, 3])
        np.testing.assert_array_equal(chain.take(entries), images[entries])
        assert (chain.files[0]._in_memory is not None) == in_memory
        assert chain.take(np.array([], np.int64)).shape == (0, 5, 7)
        with pytest.raises(FormatError, match=r"entries must lie in 0..8"):
            chain.take(np.array([9]))
