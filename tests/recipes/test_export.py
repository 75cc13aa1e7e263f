"""``argonet export``: every model type to ONNX and TorchScript, checked on real simulated inputs; the
metadata read back; a model without an exportable form refused in one line; exported files used by
``argonet evaluate`` and ``argonet inference`` in place of the checkpoint."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from argonet.cli.main import main
from argonet.recipes.train import input_spec, segmentation_spec
from argonet.conf.data import DataConfig
from argonet.data.loader import build_dataset
from argonet.io import Larcv3File
from argonet.models.registry import get_model, register_model
from argonet.recipes.export import export_model, model_from_checkpoint
from argonet.recipes.exported import load_exported, read_metadata
from argonet.train.checkpoint import FORMAT

QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false"]
TINY_URESNET = {"depth": 2, "filters": 2, "blocks_per_layer": 1, "blocks_deepest": 1, "deepest_filters": 4}


class SparseLayer(nn.Module):
    """A layer that works on a sparse copy of its input: torch.onnx has no form for it."""

    def __init__(self, num_classes: int = 4, in_chans: int = 3):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_chans, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sparse.mm(x.mean((2, 3)).to_sparse(), self.weight)


class NumpyLayer(nn.Module):
    """A layer that leaves torch for numpy: tracing keeps the traced input's result as a constant."""

    def __init__(self, num_classes: int = 4, in_chans: int = 3):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_chans, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(x.detach().numpy().mean((2, 3))) @ self.weight


@register_model("test-numpy-layer")
def _numpy_layer(num_classes: int = 4, in_chans: int = 3, weights: str | None = None) -> nn.Module:
    return NumpyLayer(num_classes, in_chans)


@register_model("test-sparse-layer")
def _sparse_layer(num_classes: int = 4, in_chans: int = 3, weights: str | None = None) -> nn.Module:
    return SparseLayer(num_classes, in_chans)


@pytest.fixture(scope="module")
def jets(tmp_path_factory) -> Path:
    """6 simulated jets (W and gluon), 20 x 20 images and the feature table."""
    path = tmp_path_factory.mktemp("jets") / "jets.h5"
    assert main(["simulate", "generator=jets", "n_events=6", "generator.jets.classes=[w,g]",
                 "generator.jets.mpi=false", "seed=2", "progress=false", f"output={path}"]) == 0
    return path


def write_checkpoint(path: Path, name: str, task: str, data: DataConfig, options: dict) -> torch.Tensor:
    """A checkpoint as training writes it (batch-norm statistics moved by real batches); returns the inputs."""
    dataset = build_dataset("segmentation" if task == "segment" else "classification", data)
    images = torch.stack([torch.as_tensor(dataset[i]["image"]) for i in range(len(dataset))])
    torch.manual_seed(0)
    model = get_model(name, num_classes=len(dataset.class_names), in_chans=dataset.in_channels, **options)
    with torch.no_grad():
        for _ in range(3):
            model.train()(images)
    spec = segmentation_spec(dataset, data) if task == "segment" else input_spec(dataset, data)
    config = {"task": task, "model": {"name": name, "options": {} if task == "segment" else options},
              "data": asdict(data), **({"uresnet": options} if task == "segment" else {})}
    torch.save({"format": FORMAT, "model": model.state_dict(), "config": config,
                "class_names": list(dataset.class_names), "input_spec": spec}, path)
    return images


# (model, task, data format, builder options, ONNX exporter): torchvision's larger nets with the fast
# TorchScript-based ONNX exporter, the others with the default (torch.export-based) one
MODELS = [("smallcnn", "classify", "larcv3", {}, "dynamo"),
          ("resnet18", "classify", "larcv3", {}, "dynamo"),
          ("resnet34", "classify", "larcv3", {}, "legacy"),
          ("resnet50", "classify", "larcv3", {}, "legacy"),
          ("resnet18-views", "classify", "larcv3", {}, "legacy"),
          ("googlenet", "classify", "larcv3", {}, "legacy"),
          ("uresnet", "segment", "larcv3", TINY_URESNET, "dynamo"),
          ("jetcnn", "classify", "jets", {"width": 4, "hidden": 8}, "dynamo"),
          ("jetcnn-classroom", "classify", "jets", {}, "legacy"),
          ("jetmlp", "classify", "jet_features", {"hidden": 8}, "dynamo")]


@pytest.mark.parametrize("name, task, data_format, options, exporter", MODELS, ids=[m[0] for m in MODELS])
def test_exported_models_equal_pytorch_and_carry_their_metadata(name, task, data_format, options, exporter,
                                                                events, jets, tmp_path):
    data = DataConfig(file=str(jets if data_format != "larcv3" else events), format=data_format,
                      normalise="log1p", seed=5)
    images = write_checkpoint(tmp_path / "model.pt", name, task, data, options)
    trained = model_from_checkpoint(tmp_path / "model.pt")
    with torch.inference_mode():
        reference = trained.model(images)
    for fmt in ("onnx", "torchscript"):
        result = export_model(trained, fmt, tmp_path / f"model.{fmt}", exporter=exporter)
        runner, metadata = load_exported(result.path)
        with torch.inference_mode():
            got = runner(images)                              # all events: another batch size than exported
        assert got.shape == reference.shape and got.shape[0] == len(images) > 3
        torch.testing.assert_close(got, reference, rtol=1e-4, atol=1e-4)
        assert read_metadata(result.path) == metadata
        assert metadata["argonet.model"] == name and metadata["argonet.task"] == task
        assert metadata["argonet.class_names"] == trained.class_names and len(trained.class_names) >= 2
        assert metadata["argonet.input_spec"] == trained.input_spec
        assert metadata["argonet.input_spec"]["normalise"] == "log1p"
        assert metadata["argonet.data"]["format"] == data_format and metadata["argonet.data"]["seed"] == 5
        assert metadata["argonet.model_options"] == options
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model.pt", "model.torchscript"]


def test_a_model_without_an_exportable_form_is_refused_in_one_line(events, tmp_path, capfd):
    data = DataConfig(file=str(events), seed=5)
    write_checkpoint(tmp_path / "sparse.pt", "test-sparse-layer", "classify", data, {})
    assert main(["export", f"checkpoint={tmp_path / 'sparse.pt'}", f"output={tmp_path / 'sparse.onnx'}",
                 "exporter=legacy"]) == 2
    out, err = capfd.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("argonet export: error: format: model test-sparse-layer cannot be exported to ONNX: ")
    assert "to_sparse" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sparse.pt"]      # no file, no temporary left


def _predictions(path: Path) -> tuple[list[str], np.ndarray]:
    """(true and predicted class per row, probabilities) of a predictions.csv."""
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    return [",".join(r[:3]) for r in rows], np.array([[float(x) for x in r[3:]] for r in rows])


def test_evaluate_accepts_the_exported_files(classifier, events, tmp_path, capsys):
    assert main(["export", f"checkpoint={classifier}", f"output={tmp_path / 'cnn.onnx'}"]) == 0
    assert main(["export", f"checkpoint={classifier}", "format=torchscript", f"output={tmp_path / 'cnn.ts'}"]) == 0
    assert "input:  float32 (batch, 3, 32, 32)" in capsys.readouterr().out
    results = {}
    for name in ("checkpoint.pt", "cnn.onnx", "cnn.ts"):
        model = classifier if name == "checkpoint.pt" else tmp_path / name
        assert main(["evaluate", f"checkpoint={model}", f"data.file={events}", "split=all", "device=cpu",
                     f"output_dir={tmp_path / (name + '.eval')}"]) == 0
        results[name] = _predictions(tmp_path / (name + ".eval") / "predictions.csv")
    assert len(results["checkpoint.pt"][0]) == 12
    for name in ("cnn.onnx", "cnn.ts"):
        assert results[name][0] == results["checkpoint.pt"][0]
        np.testing.assert_allclose(results[name][1], results["checkpoint.pt"][1], atol=2e-5)
    assert main(["inference", f"checkpoint={tmp_path / 'cnn.onnx'}", f"data.file={events}"]) == 2
    assert "holds a model for task=classify, this command needs task=segment" in capsys.readouterr().err


def test_inference_accepts_an_exported_segmentation_model(sample_path, tmp_path, capsys):
    assert main(["train", "task=segment", f"data.file={sample_path}", "data.downsample=[16,16]",
                 "data.normalise=log1p", "data.split=[0.5,0.5,0.0]", "run.epochs=1", "run.batch_size=2",
                 f"run.output_dir={tmp_path}", *[f"uresnet.{k}={v}" for k, v in TINY_URESNET.items()], *QUIET]) == 0
    assert main(["export", f"checkpoint={tmp_path / 'checkpoint.pt'}", f"output={tmp_path / 'seg.onnx'}"]) == 0
    for name in ("checkpoint.pt", "seg.onnx"):
        assert main(["inference", f"checkpoint={tmp_path / name}", f"data.file={sample_path}", "progress=false",
                     f"output={tmp_path / name}.h5", "device=cpu"]) == 0
    with Larcv3File(tmp_path / "checkpoint.pt.h5") as eager, Larcv3File(tmp_path / "seg.onnx.h5") as onnx:
        for entry in range(len(eager)):
            for a, b in zip(eager.sparse2d("argonet_prediction", entry), onnx.sparse2d("argonet_prediction", entry)):
                assert np.array_equal(a.index, b.index) and np.array_equal(a.value, b.value)


def test_an_export_that_does_not_reproduce_the_model_is_refused(events, tmp_path, capfd):
    write_checkpoint(tmp_path / "numpy.pt", "test-numpy-layer", "classify", DataConfig(file=str(events)), {})
    assert main(["export", f"checkpoint={tmp_path / 'numpy.pt'}", "format=torchscript"]) == 2
    out, err = capfd.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "model test-numpy-layer exported to TorchScript does not reproduce the model" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numpy.pt"]


def test_an_onnx_file_not_written_by_argonet_is_refused(events, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.Linear(3, 2), (torch.rand(1, 3),), str(tmp_path / "other.onnx"), dynamo=False)
    assert main(["evaluate", f"checkpoint={tmp_path / 'other.onnx'}", f"data.file={events}"]) == 2
    assert "is not a model exported by argonet" in capsys.readouterr().err
