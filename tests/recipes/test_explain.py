"""``argonet explain``: attribution properties on real simulated events (integrated-gradients completeness,
occlusion of empty pixels), and the three views end to end on short training runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from argonet.cli.main import main
from argonet.data.datasets import ClassificationDataset
from argonet.models.registry import get_model
from argonet.recipes.explain import RegionScore, attribute
from argonet.recipes.export import model_from_checkpoint

QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false"]
TINY_URESNET = {"depth": 2, "filters": 2, "blocks_per_layer": 1, "blocks_deepest": 1, "deepest_filters": 4}


@pytest.fixture(scope="module")
def images(events) -> torch.Tensor:
    """The 12 events' (3, 32, 32) charge, log1p-normalised."""
    dataset = ClassificationDataset(events, normalise="log1p")
    return dataset.read_batch(range(len(dataset)))["image"]


@pytest.mark.parametrize("model_name, options", [("smallcnn", {}), ("uresnet", TINY_URESNET)])
def test_integrated_gradients_sum_to_the_output_difference(model_name, options, images):
    torch.manual_seed(1)
    net = get_model(model_name, num_classes=4 if model_name == "smallcnn" else 3, in_chans=3, **options).eval()
    model = net if model_name == "smallcnn" else RegionScore(net, (2, 10, 10, 20, 20))
    x = images[:1]
    for target in range(3):
        attributions = attribute(model, x, target, "integrated_gradients", steps=64)
        with torch.no_grad():
            difference = float(model(x)[0, target] - model(torch.zeros_like(x))[0, target])
        assert attributions.shape == tuple(x.shape[1:]) and abs(difference) > 1e-3
        assert abs(attributions.sum() - difference) <= 0.02 * abs(difference)


def test_occluding_an_empty_region_changes_nothing(images):
    torch.manual_seed(2)
    model = get_model("smallcnn", num_classes=4, in_chans=3).eval()
    x = images[:1].clone()
    x[..., 16:] = 0.0                                  # ticks 16-31 of every plane empty
    attributions = attribute(model, x, 1, "occlusion", window=4, stride=2)
    assert (attributions[..., 19:] == 0).all()         # every 4-tick window covering these ticks is empty
    assert np.abs(attributions[..., :16]).max() > 0    # where there is charge, occlusion matters


def test_explain_draws_the_attributions_of_an_event(classifier, events, tmp_path, capsys):
    for method in ("integrated_gradients", "saliency", "occlusion"):
        assert main(["explain", f"checkpoint={classifier}", f"data.file={events}", "event=5", f"method={method}",
                     "steps=16", f"output_dir={tmp_path}"]) == 0
        assert (tmp_path / f"event5_{method}.png").stat().st_size > 10_000
        out = capsys.readouterr().out
        assert "event 5: predicted " in out and ", truth " in out
        if method == "integrated_gradients":        # 16 steps: completeness to a few per cent
            for line in (line for line in out.splitlines() if "attributions sum" in line):
                total, difference = (float(part.split()[-1]) for part in line.split(", ")[-2:])
                assert abs(total - difference) <= 0.05 * abs(difference) + 1e-3
    assert main(["explain", f"checkpoint={classifier}", f"data.file={events}", "event=12"]) == 2
    assert "event: 12 is past the end (12 events)" in capsys.readouterr().err


def test_explain_a_segmentation_pixel(events, tmp_path, capsys):
    assert main(["train", "task=segment", f"data.file={events}", "data.normalise=log1p", "run.epochs=1",
                 "run.batch_size=4", *[f"uresnet.{k}={v}" for k, v in TINY_URESNET.items()],
                 f"run.output_dir={tmp_path}", *QUIET]) == 0
    assert main(["explain", f"checkpoint={tmp_path / 'checkpoint.pt'}", f"data.file={events}", "event=2",
                 "target.box=[2,12,12,16,16]", "steps=16", f"output_dir={tmp_path / 'x'}"]) == 0
    assert (tmp_path / "x" / "event2_integrated_gradients.png").is_file()
    assert main(["explain", f"checkpoint={tmp_path / 'checkpoint.pt'}", f"data.file={events}",
                 "target.pixel=[2,40,1]"]) == 2
    assert "target: [2, 40, 1, 41, 2] lies outside the model input" in capsys.readouterr().err


def test_channels_name_the_events_that_activate_each_channel_most(classifier, events, tmp_path):
    from argonet.conf.explain import ExplainConfig
    from argonet.recipes.explain_features import explain_channels

    cfg = ExplainConfig(checkpoint=str(classifier), what="channels", split="all", layers=["stage2"], channels=4,
                        top_k=3, output_dir=str(tmp_path))
    cfg.data.file = str(events)
    views = explain_channels(cfg)
    assert [p.name for p in views.paths] == ["channels_stage2.png", "filters.png"]
    model = model_from_checkpoint(classifier).model
    dataset = ClassificationDataset(events, normalise="log1p")
    with torch.no_grad():
        maps = model.stage2(model.stage1(model.stem(dataset.read_batch(range(12))["image"])))
    strongest = maps.amax((2, 3))[:, :4].argmax(0).tolist()
    assert [row[0] for row in views.values["stage2"]["top_entries"]] == strongest


def test_embedding_marks_misclassified_events_and_writes_a_clickable_page(classifier, events, tmp_path):
    assert main(["explain", f"checkpoint={classifier}", f"data.file={events}", "what=embedding", "split=all",
                 f"output_dir={tmp_path}"]) == 0
    stored = json.loads((tmp_path / "embedding.json").read_text())
    assert stored["entries"] == list(range(12)) and np.asarray(stored["xy"]).shape == (12, 2)
    model = model_from_checkpoint(classifier).model
    dataset = ClassificationDataset(events, normalise="log1p", class_names=stored["class_names"])
    batch = dataset.read_batch(range(12))
    with torch.no_grad():
        assert stored["predicted"] == model(batch["image"]).argmax(1).tolist()
    assert stored["true"] == batch["label"].tolist()
    html = (tmp_path / "embedding.html").read_text()
    assert "plotly_click" in html and "<script src=" not in html and "event=" in html
    wrong = sum(t != p for t, p in zip(stored["true"], stored["predicted"]))
    assert ("(misclassified)" in html) == (wrong > 0)
    assert Path(tmp_path / "embedding.png").stat().st_size > 5_000
