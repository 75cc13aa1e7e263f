"""The jet-features dataset (``data.format=jet_features``): columns, hls4ml names, batches, bad tables."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from argonet.conf.data import DataConfig
from argonet.data.jet_features import DEFAULT_FEATURES, JetFeatureDataset
from argonet.data.loader import build_dataset, build_loader
from argonet.errors import ConfigError, DataError
from argonet.io import write_jet_images

CLASSES = ["gluon", "light_quark", "top", "W", "Z"]


def _file(path, n: int = 10, seed: int = 0, **extra):
    rng = np.random.default_rng(seed)
    columns = {name: rng.random(n) for name in DEFAULT_FEATURES} | {"pt_GeV": rng.uniform(900, 1100, n)} | extra
    labels = np.arange(n) % 5
    return write_jet_images(path, rng.random((n, 4, 4)).astype(np.float32), labels, CLASSES, features=columns), columns


def test_default_and_chosen_columns_from_one_file_or_shards(tmp_path):
    first, cols = _file(tmp_path / "a.h5")
    second, more = _file(tmp_path / "b.h5", n=5, seed=1)
    data = build_dataset("classification", DataConfig(file=str(tmp_path / "*.h5"), format="jet_features"))
    assert isinstance(data, JetFeatureDataset) and len(data) == 15
    assert data.feature_names == list(DEFAULT_FEATURES) and data.in_channels == 6 and data.class_names == CLASSES
    item = data[11]
    np.testing.assert_allclose(item["image"].numpy(), [more[n][1] for n in DEFAULT_FEATURES], rtol=1e-6)
    assert int(item["label"]) == 1 and int(item["entry"]) == 11
    batch = data.read_batch([0, 12])
    assert batch["image"].shape == (2, 6) and batch["label"].tolist() == [0, 2]
    chosen = JetFeatureDataset(first, features=["pt_GeV", "mass_GeV"])
    np.testing.assert_allclose(chosen.values[:, 0], cols["pt_GeV"].astype(np.float32))
    logs = JetFeatureDataset(first, features=["pt_GeV", "mass_GeV"], normalise="log1p")
    np.testing.assert_allclose(logs.values, np.log1p(chosen.values), rtol=1e-6)
    loader = build_loader(data, DataConfig(file=str(first), format="jet_features", batch_size=4), [3, 4, 5, 6, 7])
    batches = list(loader)
    assert [b["image"].shape[0] for b in batches] == [4, 1] and batches[0]["image"].dtype == torch.float32
    assert batches[0]["entry"].tolist() == [3, 4, 5, 6]


def test_hls4ml_names(tmp_path):
    names = ["j_pt", "j_mass", "j_tau21_b1", "j_tau32_b1", "j_c2_b1", "j_d2_b1", "j_multiplicity", "j_g", "j_q", "j_w",
             "j_z", "j_t", "j_undef"]
    jets = np.zeros((5, len(names)), np.float32)
    jets[:, 1] = [80.0, 90.0, 170.0, 10.0, 20.0]
    jets[np.arange(5), names.index("j_g") + np.array([2, 3, 4, 0, 1])] = 1
    with h5py.File(tmp_path / "hls.h5", "w") as f:
        f["jetImage"] = np.zeros((5, 4, 4), np.float32)
        f["jets"] = jets
        f["jetFeatureNames"] = np.array([n.encode() for n in names])
    data = JetFeatureDataset(tmp_path / "hls.h5")
    assert data.feature_names[0] == "j_mass" and data.values[:, 0].tolist() == [80, 90, 170, 10, 20]
    assert data.class_names == ["gluon", "light_quark", "W", "Z", "top"] and data.labels().tolist() == [2, 3, 4, 0, 1]


def test_bad_tables_and_columns_are_refused(tmp_path):
    path, _ = _file(tmp_path / "a.h5")
    with pytest.raises(ConfigError, match=r"^data.features: no column 'mass' in the features table"):
        JetFeatureDataset(path, features=["mass"])
    with pytest.raises(ConfigError, match=r"^data.features: name distinct feature columns"):
        JetFeatureDataset(path, features=["c2", "c2"])
    bare = write_jet_images(tmp_path / "bare.h5", np.zeros((2, 4, 4)), [0, 1], ["q", "g"])
    with pytest.raises(DataError, match=r"bare.h5: no features table"):
        JetFeatureDataset(bare)
    few = write_jet_images(tmp_path / "few.h5", np.zeros((2, 4, 4)), [0, 1], ["q", "g"], features={"x": np.zeros(2)})
    with pytest.raises(ConfigError, match=r"^data.features: the file lacks the default features"):
        JetFeatureDataset(few)
    nan, _ = _file(tmp_path / "nan.h5", tau21=np.array([0.1, np.nan, *np.zeros(8)]))
    with pytest.raises(DataError, match=r"nan.h5: feature 'tau21' of jet 1 is nan"):
        JetFeatureDataset(nan)


def test_jet_images_are_read_a_batch_at_a_time(tmp_path):
    from argonet.data.image_files import JetImageDataset

    path, _ = _file(tmp_path / "a.h5", n=12)
    data = JetImageDataset(path, normalise="log1p")
    assert data.reads_batches
    batch = data.read_batch([7, 2, 11])
    assert batch["image"].shape == (3, 1, 4, 4) and batch["label"].tolist() == [2, 2, 1]
    for row, entry in enumerate([7, 2, 11]):
        assert torch.equal(batch["image"][row], data[entry]["image"])     # the same normalisation as one by one
