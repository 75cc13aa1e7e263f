"""``argonet train task=segment`` on bad input: one line naming the file and event, exit status 2, no run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from argonet.conf.compose import compose
from argonet.cli.main import main
from argonet.conf.classify import TrainCommandConfig
from argonet.errors import ConfigError
from argonet.event import ImageMeta, SparseImage
from argonet.io import Larcv3Writer

SHAPE = (16, 16)
RUN = ["task=segment", "uresnet.depth=2", "uresnet.filters=2", "uresnet.blocks_per_layer=1", "uresnet.blocks_deepest=1",
       "run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=1", "data.split=[0.5,0.5,0.0]"]


def _planes(n_planes: int, labels: list[float] | None = None, shape=SHAPE, n_pixels: int = 3) -> list[SparseImage]:
    """Planes with ``n_pixels`` pixels each; charge 10, or the given label values."""
    ids = np.arange(n_pixels, dtype=np.uint64) * 5
    return [SparseImage(ImageMeta(p, shape, (shape[0] * 0.3, shape[1] * 0.3), (0.0, 0.0)), ids,
                        np.full(n_pixels, 10.0, np.float32) if labels is None else
                        np.array(labels[:n_pixels], np.float32)) for p in range(n_planes)]


def _file(path: Path, events: list[tuple[list[SparseImage], list[SparseImage]]]) -> Path:
    with Larcv3Writer(path, overwrite=True) as writer:
        for charge, labels in events:
            writer.write_products({"sparse2d/sbndwire": charge, "sparse2d/sbnd_cosmicseg": labels})
    return path


def _good():
    return _planes(3), _planes(3, [0, 1, 2])


@pytest.mark.parametrize("bad, message", [
    ((_planes(3), _planes(3, [0, 1, 7])),
     r"bad\.h5, event 1, product sparse2d/sbnd_cosmicseg: label value 7 is not one of"),
    ((_planes(3), _planes(2, [0, 1, 2])),
     r"bad\.h5, event 1, product sparse2d/sbnd_cosmicseg: projection 2 appears 0 times"),
    ((_planes(3), _planes(3, [0, 1, 2], shape=(16, 32))),
     r"bad\.h5, event 1, .*labels have shape \(16, 32\) but the charge"),
    ((_planes(3, n_pixels=0), _planes(3, [], n_pixels=0)), r"bad\.h5, event 1, product sparse2d/sbndwire: empty event"),
])
def test_bad_events_stop_training_with_one_line_naming_file_and_event(tmp_path, capsys, bad, message):
    path = _file(tmp_path / "bad.h5", [_good(), bad])
    out = tmp_path / "run"
    assert main(["train", f"data.file={path}", f"run.output_dir={out}", *RUN]) == 2
    err = capsys.readouterr().err
    assert err.startswith("argonet train: error: ") and len(err.strip().splitlines()) == 1
    assert __import__("re").search(message, err), err
    assert not (out / "checkpoint.pt").exists()


def test_image_sizes_the_network_cannot_halve_are_refused_before_training(tmp_path, capsys):
    path = _file(tmp_path / "ok.h5", [_good(), _good()])
    assert main(["train", f"data.file={path}", "data.downsample=[3,1]", f"run.output_dir={tmp_path}/r", *RUN]) == 2
    assert ("uresnet.depth: the data's image (after data.downsample and data.crop) is (6, 16) pixels, which depth 2 "
            "cannot halve evenly") in capsys.readouterr().err


def test_train_config_dispatch_and_defaults():
    cfg = compose("train", TrainCommandConfig, ["task=segment"])
    assert cfg.model.name == "uresnet" and cfg.loss.balance == "light" and cfg.uresnet.growth == "additive"
    assert compose("train", TrainCommandConfig, []).model.name == "resnet18"          # classify unchanged
    given = compose("train", TrainCommandConfig, ["task=segment", "model.name=resnet18"])
    assert given.model.name == "resnet18"                                       # a given name is kept
    with pytest.raises(ConfigError, match="uresnet: only task=segment uses it"):
        compose("train", TrainCommandConfig, ["uresnet.depth=3"])
    with pytest.raises(ConfigError, match=r"loss.balance: unknown balance scheme 'heavy' \(valid: none, even, light"):
        compose("train", TrainCommandConfig, ["task=segment", "loss.balance=heavy"])
    with pytest.raises(ConfigError, match="uresnet.deepest_kernel: must be an odd size"):
        compose("train", TrainCommandConfig, ["task=segment", "uresnet.deepest_kernel=4"])
