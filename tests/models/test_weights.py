"""Pretrained weights: local files load, the first convolution adapts by the sum rule, and a
missing file or an offline weight name is one clear ConfigError (tests never download)."""

from __future__ import annotations

from urllib.error import URLError

import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.registry import get_model, list_models
from argonet.models.weights import adapt_input_conv

# the image classifiers with the transfer-learning interface (forward_features / forward_head / reset_classifier)
TRANSFER_MODELS = list_models(module="argonet.models.classifiers")

RESNET18_FILE = "resnet18-f37072fd.pth"   # torchvision's IMAGENET1K_V1 file name
WEIGHT_FILE_ARCH = {"resnet18-views": "resnet18"}   # models that load another architecture's weight files


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torch hub cache and a network that refuses every connection."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))

    def refuse(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "urlopen", refuse)
    return tmp_path / "torch_home" / "hub" / "checkpoints"


@pytest.mark.parametrize("in_chans", range(1, 8))
def test_adapted_filters_keep_their_sum_over_inputs(in_chans):
    weight = torch.randn(16, 3, 7, 7, dtype=torch.float64)
    new = adapt_input_conv(weight, in_chans)
    assert new.shape == (16, in_chans, 7, 7)
    torch.testing.assert_close(new.sum(dim=1), weight.sum(dim=1))
    if in_chans == 3:
        assert torch.equal(new, weight)
    if in_chans > 3:   # repeated RGB filters, each copy divided by its number of copies
        copies = [len(range(c, in_chans, 3)) for c in range(3)]
        for k in range(in_chans):
            torch.testing.assert_close(new[:, k], weight[:, k % 3] / copies[k % 3])


@pytest.mark.parametrize("name", TRANSFER_MODELS)
def test_local_file_loads_with_adapted_first_conv_and_new_head(name, tmp_path):
    torch.manual_seed(1)
    source = get_model(WEIGHT_FILE_ARCH.get(name, name), num_classes=1000, in_chans=3)
    path = tmp_path / f"{name}.pth"
    torch.save(source.state_dict(), path)
    model = get_model(name, num_classes=4, in_chans=1, weights=str(path))
    assert model.load_report.startswith(name)
    assert "loaded pretrained weights" in model.load_report and "adapted from 3 to 1" in model.load_report
    assert "new 4-class head" in model.load_report
    key = f"{model.first_conv}.weight"
    ref, own = source.state_dict(), model.state_dict()
    torch.testing.assert_close(own[key].sum(dim=1), ref[key].sum(dim=1))
    same = [k for k in own if k != key and not k.startswith(model.classifier_name + ".")]
    assert all(torch.equal(own[k], ref[k]) for k in same)
    assert model.get_classifier().out_features == 4


def test_same_shape_file_loads_exactly(tmp_path):
    source = get_model("resnet18", num_classes=5, in_chans=3)
    torch.save({"state_dict": source.state_dict()}, tmp_path / "w.pth")
    model = get_model("resnet18", num_classes=5, in_chans=3, weights=str(tmp_path / "w.pth"))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), source.state_dict().values()))
    assert "from scratch" in get_model("resnet18", num_classes=5).load_report


def test_missing_file_is_one_clear_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        get_model("resnet18", num_classes=2, weights=str(tmp_path / "resnet18.pth"))
    text = str(err.value)
    assert err.value.field == "model.weights"
    assert "not found" in text and RESNET18_FILE in text and "model.weights=/path/to/file" in text
    assert "\n" not in text


def test_weight_name_offline_is_one_clear_line(offline):
    with pytest.raises(ConfigError) as err:
        get_model("resnet18", num_classes=2, weights="IMAGENET1K_V1")
    text = str(err.value)
    assert text.startswith("model.weights: cannot fetch resnet18 IMAGENET1K_V1")
    assert f"download {RESNET18_FILE}" in text and "model.weights=/path/to/file" in text
    assert "\n" not in text and err.value.__cause__ is None and err.value.__suppress_context__


def test_weight_name_loads_from_the_hub_cache_offline(offline):
    offline.mkdir(parents=True)
    source = get_model("resnet18", num_classes=1000)
    torch.save(source.state_dict(), offline / RESNET18_FILE)
    model = get_model("resnet18", num_classes=1000, weights="ResNet18_Weights.IMAGENET1K_V1")
    assert "ResNet18_Weights.IMAGENET1K_V1" in model.load_report
    assert torch.equal(model.fc.weight, source.fc.weight)


def test_unknown_weight_name_lists_choices():
    with pytest.raises(ConfigError, match=r"unknown weights 'IMAGENET9K'.*valid: IMAGENET1K_V1"):
        get_model("resnet50", weights="IMAGENET9K")
    with pytest.raises(ConfigError, match="smallcnn has no published torchvision weights"):
        get_model("smallcnn", weights="IMAGENET1K_V1")


def test_file_of_another_network_is_refused(tmp_path):
    torch.save(get_model("smallcnn", num_classes=2).state_dict(), tmp_path / "small.pth")
    with pytest.raises(ConfigError, match="does not hold resnet18 weights"):
        get_model("resnet18", num_classes=2, weights=str(tmp_path / "small.pth"))
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(ConfigError, match="cannot read .*junk.pth"):
        get_model("resnet18", weights=str(tmp_path / "junk.pth"))


def test_argonet_checkpoint_is_redirected(tmp_path):
    model = get_model("smallcnn", num_classes=2)
    torch.save({"format": "argonet-checkpoint/1", "model": model.state_dict(), "step": 3}, tmp_path / "ckpt.pt")
    with pytest.raises(ConfigError, match="argonet checkpoint; pass it as model.checkpoint="):
        get_model("smallcnn", num_classes=2, weights=str(tmp_path / "ckpt.pt"))
