"""DataConfig / IotestConfig validation: bad values raise ConfigError naming the field."""

from __future__ import annotations

import pytest

from argonet.conf.data import DataConfig, IotestConfig, IotestRunConfig
from argonet.errors import ConfigError


def test_defaults_follow_the_cosmic_tagger_convention():
    cfg = DataConfig()
    assert (cfg.charge, cfg.labels, cfg.label_values) == ("sbndwire", "sbnd_cosmicseg", [0, 1, 2])
    assert cfg.factors == (1, 1) and cfg.crop_box is None
    assert IotestConfig().run.minibatch_size == 16


def test_per_axis_values():
    cfg = DataConfig(downsample=[2, 4], crop=256)
    assert cfg.factors == (2, 4) and cfg.crop_box == (256, 256)


@pytest.mark.parametrize("kwargs, field", [
    (dict(downsample=0), "data.downsample"),
    (dict(downsample=[2, 2, 2]), "data.downsample"),
    (dict(crop=[0, 5]), "data.crop"),
    (dict(label_values=[0, 1, 1]), "data.label_values"),
    (dict(label_dtype="float16"), "data.label_dtype"),
    (dict(class_source="pdg"), "data.class_source"),
    (dict(class_names=["CCQE", "CCQE"]), "data.class_names"),
    (dict(planes=[0, 0]), "data.planes"),
    (dict(planes=[]), "data.planes"),
    (dict(normalise="sqrt"), "data.normalise"),
    (dict(scale=0.0), "data.scale"),
    (dict(augment=["time"]), "data.augment"),
    (dict(flip_probability=1.5), "data.flip_probability"),
    (dict(batch_size=0), "data.batch_size"),
    (dict(workers=-1), "data.workers"),
    (dict(split=[0.8, 0.3, 0.1]), "data.split"),
    (dict(split=[0.8, 0.2]), "data.split"),
    (dict(split_block=0), "data.split_block"),
    (dict(file=3), "data.file"),
    (dict(layout="ragged"), "data.layout"),
])
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        DataConfig(**kwargs)
    assert str(err.value).startswith(field + ":")


def test_paths_expand_globs_and_require_files(tmp_path):
    for name in ("b.h5", "a.h5"):
        (tmp_path / name).write_bytes(b"")
    assert DataConfig(file=str(tmp_path / "*.h5")).paths() == [str(tmp_path / "a.h5"), str(tmp_path / "b.h5")]
    with pytest.raises(ConfigError, match="^data.file: name the input"):
        DataConfig().paths()
    with pytest.raises(ConfigError, match="^data.file: no file matches"):
        DataConfig(file=str(tmp_path / "*.hdf5")).paths()


def test_run_settings():
    with pytest.raises(ConfigError, match="^run.iterations"):
        IotestRunConfig(iterations=0)
    with pytest.raises(ConfigError, match="^run.dataset"):
        IotestRunConfig(dataset="video")
