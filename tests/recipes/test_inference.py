"""``argonet train task=segment`` then ``argonet inference`` on the real-format CosmicTagger sample, unchanged.

The output file is read back and compared with predictions made in memory from the same checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from argonet.recipes.inference import load_segmenter
from argonet.cli.main import main
from argonet.data.datasets import SegmentationDataset
from argonet.eval.segmentation import confusion_per_image, summarise
from argonet.io import Larcv3File
from argonet.train.checkpoint import read_checkpoint
from segment_setup import tiny_net, train_tiny_segmenter

TINY_NET = tiny_net(2)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, sample_path) -> Path:
    """A tiny UResNet trained for one epoch on the 4 sample events down-sampled to 3 x 128 x 80."""
    return train_tiny_segmenter(tmp_path_factory.mktemp("segment"), sample_path, "data.downsample=[16,16]", *TINY_NET)


def test_train_segment_stores_what_inference_needs(checkpoint, capsys):
    state = read_checkpoint(checkpoint)
    assert state["config"]["task"] == "segment" and state["config"]["model"]["name"] == "uresnet"
    assert state["config"]["uresnet"]["depth"] == 2 and state["class_names"] == ["background", "cosmic", "neutrino"]
    assert state["input_spec"]["image_shape"] == [128, 80] and state["input_spec"]["labels"] == "sbnd_cosmicseg"
    assert {"val_cosmic_iou", "val_plane2_neutrino_iou"} <= set(state["progress"]["history"][0])


def test_inference_writes_the_input_products_plus_predictions(checkpoint, sample_path, tmp_path, capsys):
    output, metrics = tmp_path / "pred.h5", tmp_path / "metrics.json"
    assert main(["inference", "task=segment", f"checkpoint={checkpoint}", f"data.file={sample_path}",
                 f"output={output}", f"metrics={metrics}", "device=cpu", "progress=false", "batch_size=3"]) == 0
    with h5py.File(sample_path) as src, h5py.File(output) as dst:
        assert set(dst["Data"]) == set(src["Data"]) | {"sparse2d_argonet_prediction_group"}
        for group in src["Data"]:                                    # every input table copied unchanged
            for name in src["Data"][group]:
                assert np.array_equal(src["Data"][group][name][:], dst["Data"][group][name][:])
        assert np.array_equal(src["Events/event_id"][:], dst["Events/event_id"][:])

    # the predictions made in memory from the same checkpoint and inputs
    state = read_checkpoint(checkpoint)
    dataset = SegmentationDataset(sample_path, downsample=(16, 16), normalise="log1p")
    batch = dataset.read_batch(range(len(dataset)))
    model = load_segmenter(state, str(checkpoint), dataset.in_channels)
    with torch.inference_mode():
        predicted = model(batch["image"]).argmax(2).numpy()
    with Larcv3File(output) as f, Larcv3File(sample_path) as src:
        assert f.products["sparse2d"] == ["argonet_prediction", "sbnd_cosmicseg", "sbndwire"]
        for entry in range(len(f)):
            for plane, (pred, charge) in enumerate(zip(f.sparse2d("argonet_prediction", entry),
                                                       src.sparse2d("sbndwire", entry))):
                assert pred.meta == charge.meta and np.array_equal(pred.index, charge.index)
                wire, tick = np.divmod(charge.index.astype(np.int64), 1280)
                assert np.array_equal(pred.value, predicted[entry, plane, wire // 16, tick // 16].astype(np.float32))

    report = json.loads(metrics.read_text())
    expected = summarise(confusion_per_image(batch["label"].numpy(), predicted, 3), dataset.class_names)
    assert report["n_events"] == 4 and report["truth"] is True and report["image_shape"] == [3, 128, 80]
    for plane, values in expected["planes"].items():
        assert report["planes"][plane] == pytest.approx(values)
    assert report["average"] == pytest.approx(expected["average"])
    assert report["confusion"] == expected["confusion"]
    assert "argonet_prediction" in capsys.readouterr().out


def test_inference_refuses_what_it_cannot_do(checkpoint, sample_path, tmp_path, capsys):
    base = ["inference", f"checkpoint={checkpoint}", f"data.file={sample_path}", "device=cpu", "progress=false"]
    assert main([*base, "producer=sbnd_cosmicseg", f"output={tmp_path / 'a.h5'}"]) == 2
    assert "producer: " in capsys.readouterr().err and not (tmp_path / "a.h5").exists()
    existing = tmp_path / "b.h5"
    existing.write_text("keep me")
    assert main([*base, f"output={existing}"]) == 2
    assert "already exists; pass overwrite=true" in capsys.readouterr().err and existing.read_text() == "keep me"
    assert main([*base, "data.downsample=[16,24]", f"output={tmp_path / 'c.h5'}"]) == 2
    assert "uresnet.depth: the data's image (after data.downsample) is (128, 54) pixels" in capsys.readouterr().err
    assert main([*base, f"data.file={sample_path},{sample_path}"]) == 2
    assert main(["inference", "task=classify"]) == 2
    assert "task: unknown task 'classify' (valid: segment)" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*"))                             # no temporary leftovers


def test_inference_without_truth_labels_writes_predictions_only(checkpoint, sample_path, tmp_path):
    output = tmp_path / "real.h5"
    assert main(["inference", f"checkpoint={checkpoint}", f"data.file={sample_path}", "data.labels=no_such_labels",
                 f"output={output}", "device=cpu", "progress=false", "producer=uresnet"]) == 0
    report = json.loads(output.with_name("real.metrics.json").read_text())
    assert report["truth"] is False and "planes" not in report and report["n_events"] == 4
    with Larcv3File(output) as f:
        assert [len(p.index) for p in f.sparse2d("uresnet", 0)] == [len(p.index) for p in f.sparse2d("sbndwire", 0)]


def test_display_shows_charge_truth_and_prediction_rows(checkpoint, sample_path, tmp_path, capsys):
    output = tmp_path / "pred.h5"
    assert main(["inference", f"checkpoint={checkpoint}", f"data.file={sample_path}", f"output={output}",
                 "device=cpu", "progress=false"]) == 0
    plain, both = tmp_path / "truth.png", tmp_path / "both.png"
    common = [str(output), "event=1", "charge=sbndwire", "semantic=sbnd_cosmicseg", "labels=semantic"]
    assert main(["display", *common, f"output={plain}"]) == 0
    assert main(["display", *common, "prediction=argonet_prediction", f"output={both}"]) == 0
    import matplotlib.image as mpimg
    rows_plain, rows_both = mpimg.imread(plain).shape[0], mpimg.imread(both).shape[0]
    assert rows_both > 1.3 * rows_plain                         # a third row of panels: the predicted labels
    assert main(["display", *common, "prediction=no_such_product"]) == 2
    assert "no_such_product" in capsys.readouterr().err


def test_logit_offsets_move_the_decision(checkpoint, sample_path, tmp_path, capsys):
    offsets = [0.0, 0.5, -2.0]
    output = tmp_path / "shifted.h5"
    base = ["inference", f"checkpoint={checkpoint}", f"data.file={sample_path}", "device=cpu", "progress=false"]
    assert main([*base, f"output={output}", f"logit_offsets=[{','.join(map(str, offsets))}]"]) == 0
    dataset = SegmentationDataset(sample_path, downsample=(16, 16), normalise="log1p")
    batch = dataset.read_batch(range(len(dataset)))
    model = load_segmenter(read_checkpoint(checkpoint), str(checkpoint), dataset.in_channels)
    with torch.inference_mode():
        logits = model(batch["image"])
    shifted = (logits + torch.tensor(offsets).view(1, 1, 3, 1, 1)).argmax(2).numpy()
    assert not np.array_equal(shifted, logits.argmax(2).numpy())        # the offsets change some pixels
    with Larcv3File(output) as f, Larcv3File(sample_path) as src:
        for entry in range(len(f)):
            for plane, (pred, charge) in enumerate(zip(f.sparse2d("argonet_prediction", entry),
                                                       src.sparse2d("sbndwire", entry))):
                wire, tick = np.divmod(charge.index.astype(np.int64), 1280)
                assert np.array_equal(pred.value, shifted[entry, plane, wire // 16, tick // 16].astype(np.float32))
    report = json.loads(output.with_name("shifted.metrics.json").read_text())
    assert report["logit_offsets"] == offsets
    assert main([*base, f"output={tmp_path / 'bad.h5'}", "logit_offsets=[0,1]"]) == 2
    err = capsys.readouterr().err
    assert "logit_offsets: needs one value per class ['background', 'cosmic', 'neutrino'], got 2" in err
    assert not (tmp_path / "bad.h5").exists()
    assert main([*base, f"output={tmp_path / 'bad.h5'}", "logit_offsets=[0,1,nan]"]) == 2
    assert "logit_offsets: must be finite numbers" in capsys.readouterr().err


def test_inference_names_a_missing_output_folder_before_any_work(checkpoint, sample_path, tmp_path, capsys):
    missing = tmp_path / "missing" / "pred.h5"
    assert main(["inference", f"checkpoint={checkpoint}", f"data.file={sample_path}", "device=cpu",
                 "progress=false", f"output={missing}"]) == 2
    captured = capsys.readouterr()
    assert f"output: folder {missing.parent} of {missing} does not exist" in captured.err
    assert "events:" not in captured.out and list(tmp_path.iterdir()) == []     # failed before predicting


def test_inference_on_a_folder_format_says_it_reads_larcv3(checkpoint, tmp_path, capsys):
    assert main(["inference", f"checkpoint={checkpoint}", "data.format=cvn", f"data.file={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert "data.format: inference reads and writes larcv3 files, not format 'cvn'" in err and "no such" not in err


def test_evaluate_names_a_segmentation_checkpoint(checkpoint, sample_path, tmp_path, capsys):
    assert main(["evaluate", f"checkpoint={checkpoint}", f"data.file={sample_path}",
                 f"output_dir={tmp_path / 'ev'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "is a segmentation checkpoint (task=segment)" in err
