"""Checkpoint files: atomic replacement, clear errors, random states, loading into a model."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from argonet.errors import ConfigError
from argonet.models.registry import get_model
from argonet.train import checkpoint as ckpt


def test_failed_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    ckpt.atomic_save({"step": 1, "w": torch.ones(3)}, path)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="No space left"):
        ckpt.atomic_save({"step": 2, "w": torch.zeros(3)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]      # no temporary file left
    assert torch.load(path, weights_only=True)["step"] == 1


def test_interrupt_during_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    ckpt.atomic_save({"step": 1}, path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ckpt.atomic_save({"step": 2}, path)
    assert torch.load(path, weights_only=True) == {"step": 1} and len(list(tmp_path.iterdir())) == 1


def test_missing_and_damaged_checkpoints_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"run.resume: no checkpoint at .*nothing.pt"):
        ckpt.read_checkpoint(tmp_path / "nothing.pt")
    (tmp_path / "bad.pt").write_bytes(b"\x00garbage")
    with pytest.raises(ConfigError, match=r"model.checkpoint: cannot read checkpoint .*bad.pt") as err:
        ckpt.read_checkpoint(tmp_path / "bad.pt", field="model.checkpoint")
    assert "\n" not in str(err.value)


def test_random_states_round_trip_through_a_file(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    ckpt.atomic_save(ckpt.rng_state(), tmp_path / "rng.pt")
    expected = (random.random(), np.random.rand(), torch.rand(2))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    ckpt.set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    got = (random.random(), np.random.rand(), torch.rand(2))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_load_model_weights_checks_compatibility(tmp_path):
    source = get_model("smallcnn", num_classes=2, in_chans=2)
    ckpt.atomic_save({"format": ckpt.FORMAT, "model": source.state_dict()}, tmp_path / "c.pt")
    model = get_model("smallcnn", num_classes=4, in_chans=2)
    with pytest.raises(ConfigError, match="checkpoint has 2 classes, model has 4; pass model.replace_head=true"):
        ckpt.load_model_weights(model, tmp_path / "c.pt")
    report = ckpt.load_model_weights(model, tmp_path / "c.pt", replace_head=True)
    assert "new head" in report and torch.equal(model.stem[0].weight, source.stem[0].weight)
    with pytest.raises(ConfigError, match="model.in_chans: checkpoint has 2 input channels, model has 3"):
        ckpt.load_model_weights(get_model("smallcnn", num_classes=2, in_chans=3), tmp_path / "c.pt")


def test_state_digest_follows_weights_not_objects():
    a = get_model("smallcnn", num_classes=2)
    b = get_model("smallcnn", num_classes=2)
    b.load_state_dict(a.state_dict())
    assert ckpt.state_digest(a.state_dict()) == ckpt.state_digest(b.state_dict())
    with torch.no_grad():
        b.fc.bias[0] += 1e-3
    assert ckpt.state_digest(a.state_dict()) != ckpt.state_digest(b.state_dict())
    assert ckpt.state_digest(a.state_dict(), ["fc."]) == ckpt.state_digest(b.state_dict(), ["fc."])


def test_from_checkpoint_reads_the_file_or_takes_the_dict(tmp_path):
    model = get_model("smallcnn", num_classes=2, in_chans=1).eval()
    path = ckpt.atomic_save({"model": model.state_dict(), "builder": model.argonet_builder}, tmp_path / "m.pt")
    x = torch.randn(1, 1, 16, 16)
    from_file, state = ckpt.from_checkpoint(path)
    from_dict, _ = ckpt.from_checkpoint(state)
    assert torch.equal(from_file.eval()(x), model(x)) and torch.equal(from_dict.eval()(x), model(x))
    with pytest.raises(ConfigError, match="^checkpoint: no checkpoint at"):
        ckpt.from_checkpoint(tmp_path / "missing.pt")


def _released_smallcnn(folder, seed: int):
    """A smallcnn's checkpoint saved as released weights sbnd-cosmic in ``folder``; the model."""
    torch.manual_seed(seed)
    model = get_model("smallcnn", num_classes=2, in_chans=1).eval()
    state = {"format": ckpt.FORMAT, "model": model.state_dict(), "builder": model.argonet_builder,
             "optimizer": {"state": {}}, "rng": {}}
    folder.mkdir(exist_ok=True)
    ckpt.atomic_save(ckpt.released_state(state, [0.0, -1.0]), folder / ckpt.RELEASED["sbnd-cosmic"])
    return model


def test_a_released_name_means_the_packaged_weights_before_a_file_of_that_name(tmp_path, monkeypatch):
    packaged = _released_smallcnn(tmp_path / "released", seed=1)
    monkeypatch.setattr(ckpt, "RELEASED_DIR", tmp_path / "released")
    local = get_model("smallcnn", num_classes=2, in_chans=1).eval()
    monkeypatch.chdir(tmp_path)
    ckpt.atomic_save({"model": local.state_dict(), "builder": local.argonet_builder}, tmp_path / "sbnd-cosmic")
    model, state = ckpt.from_checkpoint("sbnd-cosmic")
    assert state["logit_offsets"] == [0.0, -1.0] and "optimizer" not in state and "rng" not in state
    assert state["model"]["fc.weight"].dtype == torch.float16 and model.fc.weight.dtype == torch.float32
    assert torch.allclose(model.fc.weight, packaged.fc.weight, atol=1e-3, rtol=1e-3)     # fp16 storage
    shadowed, _ = ckpt.from_checkpoint("./sbnd-cosmic")                  # a path to the local file reads it
    assert torch.equal(shadowed.fc.weight, local.fc.weight)


def test_missing_or_damaged_released_weights_are_one_line(tmp_path, monkeypatch):
    _released_smallcnn(tmp_path / "good", seed=2)
    monkeypatch.setattr(ckpt, "RELEASED_DIR", tmp_path / "empty")
    with pytest.raises(ConfigError, match=r"^checkpoint: The released weights 'sbnd-cosmic' at .*empty.* is missing "
                                          r"\(a damaged argonet installation: reinstall it\)$"):
        ckpt.from_checkpoint("sbnd-cosmic")
    (tmp_path / "damaged").mkdir()
    good = (tmp_path / "good" / "sbnd-cosmic.pt").read_bytes()
    (tmp_path / "damaged" / "sbnd-cosmic.pt").write_bytes(good[:len(good) // 2])      # a truncated copy
    monkeypatch.setattr(ckpt, "RELEASED_DIR", tmp_path / "damaged")
    with pytest.raises(ConfigError, match=r"^model.checkpoint: cannot read the released weights 'sbnd-cosmic' at "
                                          r".*damaged.*reinstall it\)$") as err:
        ckpt.read_checkpoint("sbnd-cosmic", field="model.checkpoint")
    assert "\n" not in str(err.value)
    assert ckpt.released_path("sbnd-cosmic.pt") is None and ckpt.released_path("runs/x.pt") is None
