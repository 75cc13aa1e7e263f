"""``argonet train task=segment model.name=sparse-uresnet`` at full resolution, then ``argonet inference``:
the chain train → checkpoint → larcv3 predictions on the real-format CosmicTagger sample, compared with the
predictions made in memory; an event without charge gets an empty prediction; a dense checkpoint given to
the sparse network (and the reverse), or a layout the model does not read, is one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from argonet.cli.main import main
from argonet.event import Event, SparseImage
from argonet.data.sparse_batches import SparseSegmentationDataset
from argonet.eval.segmentation import summarise
from argonet.io import Larcv3File, Larcv3Writer
from argonet.recipes.inference import load_segmenter
from argonet.tasks.segment import predict_sparse_labels, sparse_confusion_counts
from argonet.train.checkpoint import read_checkpoint
from segment_setup import QUIET, tiny_net, train_tiny_segmenter

TINY_NET = tiny_net(4)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, sample_path) -> Path:
    """A tiny sparse UResNet trained for one epoch on 2 of the 4 sample events at full resolution (2048 x 1280)."""
    return train_tiny_segmenter(tmp_path_factory.mktemp("sparse"), sample_path, "model.name=sparse-uresnet", *TINY_NET)


def test_sparse_train_then_inference_writes_the_predictions_made_in_memory(checkpoint, sample_path, tmp_path):
    state = read_checkpoint(checkpoint)
    assert state["config"]["model"]["name"] == "sparse-uresnet" and state["input_spec"]["image_shape"] == [2048, 1280]
    assert {"val_cosmic_iou", "val_plane2_neutrino_iou"} <= set(state["progress"]["history"][0])
    output, metrics = tmp_path / "pred.h5", tmp_path / "metrics.json"
    assert main(["inference", "task=segment", f"checkpoint={checkpoint}", f"data.file={sample_path}",
                 f"output={output}", f"metrics={metrics}", "device=cpu", "progress=false", "batch_size=3"]) == 0
    dataset = SparseSegmentationDataset(sample_path, normalise="log1p")
    batch = dataset.read_batch(range(len(dataset)))
    model = load_segmenter(state, str(checkpoint), dataset.in_channels)
    predicted = predict_sparse_labels(model, batch).numpy()
    coords = batch["coords"].numpy()
    with Larcv3File(output) as f, Larcv3File(sample_path) as src:
        assert f.products["sparse2d"] == ["argonet_prediction", "sbnd_cosmicseg", "sbndwire"]
        for entry in range(len(f)):
            for plane, (pred, charge) in enumerate(zip(f.sparse2d("argonet_prediction", entry),
                                                       src.sparse2d("sbndwire", entry))):
                assert pred.meta == charge.meta and np.array_equal(pred.index, charge.index)
                mine = (coords[:, 0] == entry) & (coords[:, 1] == plane)
                expected = np.zeros((2048, 1280), np.float32)
                expected[coords[mine, 2], coords[mine, 3]] = predicted[mine]
                wire, tick = np.divmod(charge.index.astype(np.int64), 1280)
                assert np.array_equal(pred.value, expected[wire, tick])
    report = json.loads(metrics.read_text())
    counts = sparse_confusion_counts(torch.from_numpy(predicted), batch["label"], batch["coords"], 4, 3, 3)
    expected = summarise(counts.numpy(), dataset.class_names)
    assert report["n_events"] == 4 and report["truth"] is True
    assert report["average"] == pytest.approx(expected["average"])
    assert report["confusion"] == expected["confusion"]
    assert sum(map(sum, (row for plane in report["confusion"].values() for row in plane))) == len(coords)


def test_dense_checkpoint_given_to_the_sparse_network_is_one_line(sample_path, tmp_path, capsys):
    dense = tmp_path / "dense"
    assert main(["train", "task=segment", f"data.file={sample_path}", "data.downsample=[16,16]",
                 "data.split=[0.5,0.5,0.0]", "run.max_steps=1", f"run.output_dir={dense}",
                 "uresnet.depth=2", *TINY_NET[1:], *QUIET]) == 0
    assert main(["train", "task=segment", "model.name=sparse-uresnet", f"data.file={sample_path}",
                 f"model.checkpoint={dense / 'checkpoint.pt'}", f"run.output_dir={tmp_path / 'sparse'}",
                 "uresnet.depth=2", *TINY_NET[1:], *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "holds a dense network's weights, not a sparse-uresnet's" in err


def test_dense_network_given_a_sparse_checkpoint_is_one_line(checkpoint, sample_path, tmp_path, capsys):
    assert main(["train", "task=segment", f"data.file={sample_path}", "data.downsample=[16,16]",
                 f"model.checkpoint={checkpoint}", f"run.output_dir={tmp_path / 'dense'}", "uresnet.depth=4",
                 *TINY_NET[1:], *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{checkpoint} holds a sparse network's weights" in err
    assert not (tmp_path / "dense" / "checkpoint.pt").exists()


@pytest.mark.parametrize("model, layout", [("uresnet", "sparse"), ("sparse-uresnet", "dense")])
def test_a_layout_the_model_does_not_read_is_one_line(sample_path, tmp_path, capsys, model, layout):
    assert main(["train", "task=segment", f"model.name={model}", f"data.layout={layout}", f"data.file={sample_path}",
                 f"run.output_dir={tmp_path}", *TINY_NET, *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"argonet train: error: data.layout: model {model} reads")


def test_an_event_without_charge_gets_an_empty_prediction(checkpoint, sample_path, tmp_path, capsys):
    with Larcv3File(sample_path) as f:
        events = [f.event(0), f.event(1)]
    empty = [SparseImage(image.meta, np.zeros(0, np.uint64), np.zeros(0, np.float32)) for image in events[0].charge]
    path, output = tmp_path / "with_empty.h5", tmp_path / "pred.h5"
    with Larcv3Writer(path) as writer:
        for event in (events[0], Event(empty, empty, empty, event=7), events[1]):
            writer.write(event)
    assert main(["train", "task=segment", "model.name=sparse-uresnet", f"data.file={path}",
                 f"run.output_dir={tmp_path / 'run'}", *TINY_NET, *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{path}, event 1" in err and "1 of 3 events are empty" in err
    assert main(["inference", "task=segment", f"checkpoint={checkpoint}", f"data.file={path}", f"output={output}",
                 "device=cpu", "progress=false", "batch_size=1"]) == 0      # one batch holds only the empty event
    assert "1 of 3 events have no charge pixel: their predictions are empty" in capsys.readouterr().out
    with Larcv3File(output) as f:
        counts = [[len(image.index) for image in f.sparse2d("argonet_prediction", e)] for e in range(3)]
    assert counts[1] == [0, 0, 0] and min(counts[0] + counts[2]) > 0
    assert json.loads(output.with_name("pred.metrics.json").read_text())["empty_events"] == 1
