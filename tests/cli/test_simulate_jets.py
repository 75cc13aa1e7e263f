"""``argonet simulate generator=jets`` end to end, and jet files through ``argonet train`` / ``evaluate``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from argonet.cli.main import main
from argonet.io import JetImageFile, write_jet_images

CLASSES = ["gluon", "light_quark", "top", "W", "Z"]
QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=16", "run.epochs=1"]


def test_simulate_writes_a_jet_file_and_shards_agree(tmp_path, capsys):
    args = ["simulate", "generator=jets", "n_events=3", "generator.jets.classes=[w,g]", "generator.jets.mpi=false",
            "seed=2", "progress=false"]
    assert main([*args, f"output={tmp_path / 'jets.h5'}"]) == 0
    assert "wrote 3 jets (gluon 2, W 1) from" in capsys.readouterr().out
    with JetImageFile(tmp_path / "jets.h5") as f:
        assert len(f) == 3 and f.class_names == ["gluon", "W"] and f.labels.tolist() == [0, 1, 0]
        assert f.image_shape == (20, 20) and "mass_sd_GeV" in f.features.dtype.names
        assert "generator.jets.classes" not in f.attrs["argonet_config"] and "mpi: false" in f.attrs["argonet_config"]
        whole = f.images()
    assert main([*args, "shard=1/2", "generator.jets.groomed_image=true", f"output={tmp_path / 'jets.h5'}"]) == 0
    with JetImageFile(tmp_path / "jets.shard1of2.h5") as f:
        assert f.labels.tolist() == [1] and np.array_equal(f.images(), whole[1:2])
    with JetImageFile(tmp_path / "jets.shard1of2.h5", images="images_groomed") as f:
        assert f.images().shape == (1, 20, 20) and (f.images() <= whole[1:2] + 1e-4).all()
    assert main([*args, f"output={tmp_path / 'jets.h5'}"]) == 2                # exists, no overwrite
    assert main(["simulate", "generator=jets", "generator.jets.classes=[b]", f"output={tmp_path / 'x.h5'}"]) == 2
    assert "generator.jets.classes: unknown jet class 'b'" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


@pytest.fixture(scope="module")
def jet_file(tmp_path_factory):
    """200 synthetic jets whose class shows in the image (a bright pixel) and in the features."""
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 5
    images = rng.random((200, 20, 20)).astype(np.float32)
    images[np.arange(200), 10, 2 + 3 * labels] += 5.0
    features = {name: rng.random(200) + labels * (i == 0) for i, name in
                enumerate(["mass_GeV", "tau21", "tau32", "c2", "d2", "multiplicity"])}
    return write_jet_images(tmp_path_factory.mktemp("jets") / "jets.h5", images, labels, CLASSES, features=features)


@pytest.mark.parametrize("model, data_format, options", [
    ("jetcnn-classroom", "jets", []), ("jetmlp", "jet_features", []),
    ("jetcnn", "jets", ["model.options.width=4", "model.options.hidden=8"]),   # evaluate rebuilds the same widths
])
def test_train_and_evaluate_report_top_and_w_tagging(jet_file, tmp_path, capsys, model, data_format, options):
    out = tmp_path / "run"
    assert main(["train", f"model.name={model}", f"data.file={jet_file}", f"data.format={data_format}",
                 "optim.name=adamw", "optim.lr=0.01", f"run.output_dir={out}", *options, *QUIET]) == 0
    assert main(["evaluate", f"checkpoint={out / 'best.pt'}", f"data.file={jet_file}", f"output_dir={out / 'eval'}",
                 "device=cpu"]) == 0
    printed = capsys.readouterr().out
    assert "t_vs_qcd: background rejection" in printed and "w_vs_qcd" in printed
    report = json.loads((out / "eval" / "metrics.json").read_text())
    assert report["class_names"] == CLASSES and report["n_events"] == 20
    tagging = report["jet_tagging"]
    assert set(tagging) == {"t_vs_qcd", "w_vs_qcd"} and tagging["t_vs_qcd"]["signal_efficiency"] == 0.5
    assert tagging["t_vs_qcd"]["n_signal"] == int(np.sum(np.array(report["confusion"])[2]))
    assert 0.0 <= tagging["w_vs_qcd"]["auc"] <= 1.0
